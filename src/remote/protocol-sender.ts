import { describeError } from '../core/errors.ts';
import { encodeProtocol } from './protocol-codec.ts';
import type { ProtocolMessage } from './protocol-types.ts';
import type { AgentState } from './remote-agent-settings.ts';

/**
 * Sends one protocol message from a remote agent within its budget. An essential message (result,
 * question, release) waits for budget; others are dropped when there is none. False when not sent.
 */
export async function sendProtocol(
  state: AgentState,
  message: ProtocolMessage,
  essential: boolean,
  attachment?: { fileName: string; content: Buffer },
): Promise<boolean> {
  if (!state.connected) return false;
  // Heartbeats need room too: keep two messages a minute for them.
  while (state.budget.left('out') <= (essential ? 0 : 2)) {
    if (!essential || !state.started) return false;
    await new Promise((r) => setTimeout(r, Math.max(100, state.budget.waitMs('out'))));
  }
  state.budget.take('out');
  try {
    await state.o.port.send({
      text: encodeProtocol(message),
      nonce: `${state.o.id}-${message.verb}-${Date.now()}`.slice(0, 25),
      ...(attachment ? { attachment } : {}),
    });
    return true;
  } catch (err) {
    state.o.log.warn('remote agent: message not sent; it is tried again later', {
      verb: message.verb,
      reason: describeError(err),
    });
    return false;
  }
}

/** Room for one protocol message: half the channel's limit, since escaping can double the text. */
export function inlineBudget(state: AgentState): number {
  return Math.floor(state.o.port.limits.maxTextLength / 2);
}
