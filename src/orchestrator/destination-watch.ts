import type { ChatPort } from '../chat/chat-port.ts';
import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Ledger } from '../ledger/ledger.ts';

/**
 * Notices when a channel's chat changes (the config points at another group, or Telegram migrated
 * the group to a supergroup) and makes the ledger stop treating the old chat's message ids as the
 * swarm's messages here (`adoptChatDestination`): the next status and checkpoint are new messages in
 * the new chat instead of edits of whatever carries those ids in it.
 */
export class DestinationWatch {
  /** The destination last recorded in the ledger by this process. */
  private adopted: string | undefined;

  constructor(private readonly deps: { ledger: Ledger; port: ChatPort; channel: string; log: Logger }) {}

  /** Records the port's destination if it changed since the last call; cheap when it did not. */
  follow(): void {
    const { ledger, port, channel, log } = this.deps;
    const destination = port.destination;
    if (destination === undefined || destination === this.adopted) return;
    // The config names the chat at start; a change while running is the port following the chat
    // (a Telegram group upgraded to a supergroup).
    const source = this.adopted === undefined ? 'configured' : 'followed';
    // A failed write throws before `adopted` moves on: the caller logs it and the next call retries.
    const before = ledger.outbox.adoptDestination(channel, destination, source);
    this.adopted = destination;
    if (before === undefined) return;
    log.warn(
      'channel moved to another chat: messages in the old one stay as they are, each task gets a new message here',
      {
        channel,
        from: before,
        to: destination,
      },
    );
  }

  /**
   * `follow`, right after a send and before what was sent is recorded: a send the port followed into
   * another chat is that chat's message, so the old chat's are archived first. A failure is logged,
   * not thrown: the message is out, and a failed post would send it again.
   */
  followAfterSend(): void {
    try {
      this.follow();
    } catch (err) {
      this.deps.log.warn('could not record the chat the channel moved to; trying again', {
        error: describeError(err),
      });
    }
  }
}
