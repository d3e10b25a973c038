import type { LedgerCore } from './ledger-core.ts';

export interface InboxEntry {
  platform: string;
  /** The platform's chat or channel id: Telegram numbers messages per chat, so ids repeat across chats. */
  chatId: string;
  messageId: string;
  channel: string;
  authorId: string;
  text: string;
}

/** Incoming messages keyed by platform, chat and message id, so a redelivered message is applied once. */
export class InboxStore {
  constructor(private readonly core: LedgerCore) {}

  /** Records a message; false when it was seen before (a duplicate delivery or a catch-up repeat). */
  record(entry: InboxEntry): boolean {
    const info = this.core
      .sql(
        'INSERT INTO inbox (platform, chat_id, message_id, channel, author_id, text, received_at) VALUES (?,?,?,?,?,?,?) ON CONFLICT DO NOTHING',
      )
      .run(
        entry.platform,
        entry.chatId,
        entry.messageId,
        entry.channel,
        entry.authorId,
        entry.text,
        this.core.now(),
      );
    return info.changes === 1;
  }

  /** Whether a message with this id was received (so it is a person's message, not the swarm's). */
  has(platform: string, chatId: string, messageId: string): boolean {
    return (
      this.core
        .sql('SELECT 1 FROM inbox WHERE platform = ? AND chat_id = ? AND message_id = ?')
        .get(platform, chatId, messageId) !== undefined
    );
  }

  setOutcome(entry: Pick<InboxEntry, 'platform' | 'chatId' | 'messageId'>, outcome: string): void {
    this.core
      .sql('UPDATE inbox SET outcome = ? WHERE platform = ? AND chat_id = ? AND message_id = ?')
      .run(outcome, entry.platform, entry.chatId, entry.messageId);
  }

  count(): number {
    return (this.core.sql('SELECT COUNT(*) AS n FROM inbox').get() as { n: number }).n;
  }
}
