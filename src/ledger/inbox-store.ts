import type { LedgerCore } from './ledger-core.ts';

export interface InboxEntry {
  platform: string;
  /** The platform's chat or channel id: Telegram numbers messages per chat, so ids repeat across chats. */
  chatId: string;
  messageId: string;
  channel: string;
  authorId: string;
}

/** The key of one inbox row. */
export type InboxKey = Pick<InboxEntry, 'platform' | 'chatId' | 'messageId'>;

/** How many rows one prune statement deletes, so the write lock is held briefly however much is old. */
const PRUNE_BATCH = 1_000;

/**
 * Incoming messages keyed by platform, chat and message id, so a redelivered message is applied once.
 * A row is recorded without text; the handler stores the text only for messages that did something
 * (a command, an answer), so ordinary chat never lands in the ledger. Not part of the event chain:
 * pruning old rows changes nothing `audit` checks.
 */
export class InboxStore {
  constructor(private readonly core: LedgerCore) {}

  /** Records a message's key (with empty text); false when it was seen before (a duplicate or catch-up repeat). */
  record(entry: InboxEntry): boolean {
    const info = this.core
      .sql(
        'INSERT INTO inbox (platform, chat_id, message_id, channel, author_id, text, received_at) VALUES (?,?,?,?,?,?,?) ON CONFLICT DO NOTHING',
      )
      .run(entry.platform, entry.chatId, entry.messageId, entry.channel, entry.authorId, '', this.core.now());
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

  /** Records what became of a message and the text worth keeping for the record ('' for none). */
  setOutcome(key: InboxKey, outcome: string, text = ''): void {
    this.core
      .sql('UPDATE inbox SET outcome = ?, text = ? WHERE platform = ? AND chat_id = ? AND message_id = ?')
      .run(outcome, text, key.platform, key.chatId, key.messageId);
  }

  count(): number {
    return (this.core.sql('SELECT COUNT(*) AS n FROM inbox').get() as { n: number }).n;
  }

  /**
   * Deletes rows received before `cutoffMs` (ledger clock), in short batches; returns how many went.
   * Each batch is its own statement, so agents' writes interleave with a large prune.
   */
  pruneBefore(cutoffMs: number): number {
    const stmt = this.core.sql(
      'DELETE FROM inbox WHERE rowid IN (SELECT rowid FROM inbox WHERE received_at < ? LIMIT ?)',
    );
    let total = 0;
    for (;;) {
      const { changes } = stmt.run(cutoffMs, PRUNE_BATCH);
      total += changes;
      if (changes < PRUNE_BATCH) return total;
    }
  }
}
