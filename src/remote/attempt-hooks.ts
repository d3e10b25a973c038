import { sendProtocol } from './protocol-sender.ts';
import { PROTOCOL_LIMITS, type ProtocolMessage } from './protocol-types.ts';
import type { AgentState, Running } from './remote-agent-settings.ts';
import type { RemoteAttemptHooks } from './remote-attempt.ts';

/**
 * How a running attempt talks back through the remote agent: progress is kept for the next
 * heartbeat (not sent on its own); a question is sent, again after an outage until it goes out,
 * and its answer arrives as the orchestrator's `reply` (or the wait ends when the attempt stops).
 */
export function attemptHooks(state: AgentState, r: Running): RemoteAttemptHooks {
  return {
    progress: (pct, text) => {
      r.pct = pct === null ? null : Math.max(0, Math.min(100, Math.round(pct)));
      r.text = text.slice(0, 200);
    },
    ask: (question) =>
      new Promise<string>((resolve, reject) => {
        r.answer = { resolve, reject };
        const stopped = (): void => reject(new Error('attempt stopped'));
        r.controller.signal.addEventListener('abort', stopped, { once: true });
        const ask: ProtocolMessage = {
          verb: 'ask',
          to: state.o.orchestrator.handle,
          tag: r.tag,
          question: question.slice(0, PROTOCOL_LIMITS.maxQuestionChars),
        };
        // A question lost to an outage is asked again until it goes out or the attempt stops.
        const tryAsk = async (): Promise<void> => {
          while (!r.controller.signal.aborted && state.started && !(await sendProtocol(state, ask, true)))
            await new Promise((w) => setTimeout(w, 1_000));
        };
        void tryAsk();
      }),
  };
}
