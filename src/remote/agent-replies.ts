import { formatTag, type ProtocolOf } from './protocol-types.ts';
import type { AgentState } from './remote-agent-settings.ts';

type Reply = ProtocolOf<'taken' | 'reply' | 'stop' | 'ack' | 'refused'>;
type Complain = (text: string, fields: Record<string, unknown>) => void;

/**
 * What a remote agent does with the orchestrator's answers about an attempt. Each acts only on an
 * attempt the agent holds (a claim waiting, a worker running, a result kept): one naming anything
 * else (a replay, or an attempt it never had) is logged and changes nothing, so no worker is stopped
 * and nothing is forgotten on its account.
 */
export function applyReply(state: AgentState, m: Reply, complain: Complain): void {
  const { o } = state;
  const key = m.tag ? formatTag(m.tag) : undefined;
  const running = key === undefined ? undefined : state.running.get(key);
  const pending = key !== undefined && o.store.pending().some((p) => p.tag === key);
  const ignored = (what: string): void =>
    complain(`remote agent: ${what} for an attempt this agent does not hold; ignored`, { tag: key });
  switch (m.verb) {
    case 'taken':
      if (!state.claims.delete(key!)) o.log.debug('remote agent: taken for no claim of ours', { tag: key });
      return;
    case 'reply': {
      if (!running?.answer) return ignored('an answer');
      running.answer.resolve(m.answer);
      delete running.answer;
      return;
    }
    case 'stop': {
      const claimed = state.claims.delete(key!);
      if (!running && !claimed) {
        // A result already kept is still sent: the orchestrator judges it (and refuses it once).
        if (!pending) ignored('a stop');
        return;
      }
      o.log.info('remote agent: told to stop', { tag: key, why: m.why });
      running?.controller.abort(`stopped by the orchestrator: ${m.detail ?? m.why}`);
      // A grant for it that comes after this is not started.
      if (!pending) o.store.markFinished(key!);
      return;
    }
    case 'ack':
      if (!pending) {
        o.log.debug('remote agent: acknowledgement for no result of ours', { tag: key, outcome: m.outcome });
        return;
      }
      o.store.settle(key);
      return;
    case 'refused':
      o.log.warn('remote agent: the orchestrator refused a message', {
        tag: key,
        why: m.why,
        detail: m.detail,
      });
      // An unreadable message is refused without judging the attempt: it goes on.
      if (key === undefined || m.why === 'bad_message' || (!running && !pending)) return;
      running?.controller.abort('refused by the orchestrator');
      o.store.settle(key);
      return;
  }
}
