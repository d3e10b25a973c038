import type { Interaction, InteractionReply } from '../chat/chat-port.ts';
import type { AdminPolicy } from '../commands/command-handler.ts';
import { handleInteraction, type InteractionMessage } from '../commands/interaction-handler.ts';
import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Ledger } from '../ledger/ledger.ts';

/** What answering an interaction needs from the orchestrator. */
export interface InteractionDeps {
  ledger: Ledger;
  channel: string;
  admins: AdminPolicy;
  log: Logger;
  /** Wakes the poster after a change. */
  kick(): void;
}

const TRY_AGAIN: InteractionReply = {
  ok: false,
  text: '⚠️ The swarm could not do that just now (its ledger is busy); nothing changed. Try again.',
};

/**
 * Applies an interaction and tells the person the outcome through `ack`, exactly once. Never
 * throws: a ledger failure becomes "try again", and a failed `ack` (the platform's token expired)
 * costs a log line.
 */
export async function answerInteraction(
  deps: InteractionDeps,
  msg: InteractionMessage,
  interaction: Interaction = msg.interaction,
): Promise<void> {
  let reply = TRY_AGAIN;
  try {
    const result = handleInteraction(deps.ledger, deps.channel, deps.admins, msg);
    reply = result.reply;
    deps.log.debug('interaction handled', {
      id: msg.messageId,
      kind: interaction.kind,
      outcome: result.outcome,
    });
    deps.kick();
  } catch (err) {
    deps.log.error('could not handle an interaction', { id: msg.messageId, error: describeError(err) });
  }
  try {
    await interaction.ack(reply);
  } catch (err) {
    deps.log.warn('could not answer an interaction', { id: msg.messageId, error: describeError(err) });
  }
}
