import type { Logger } from '../core/logger.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { LedgerWatcher } from './ledger-watcher.ts';

/** What {@link waitUntilIdle} watches: an agent's id and skills, and how many attempts it runs now. */
export interface IdleWatchedAgent {
  readonly id: string;
  readonly skills: readonly string[];
  readonly busy: number;
}

/**
 * Resolves `'idle'` once the agent runs nothing and nothing it could take remains (see
 * `Ledger.workLeftFor`: a retry backoff or a dependency that can still finish is waited for, a task
 * stuck behind a failed or cancelled dependency is not), or `'stopped'` when `stop` settles first.
 * Checked after each ledger change and on a slow tick (a backoff ends without a write).
 */
export function waitUntilIdle(
  agent: IdleWatchedAgent,
  ledger: Ledger,
  watcher: LedgerWatcher,
  stop: Promise<unknown>,
  log: Logger,
  tickMs = 500,
): Promise<'idle' | 'stopped'> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (how: 'idle' | 'stopped'): void => {
      if (done) return;
      done = true;
      unsubscribe();
      clearInterval(tick);
      resolve(how);
    };
    const check = (): void => {
      if (done || agent.busy > 0) return;
      try {
        if (ledger.workLeftFor({ id: agent.id, skills: [...agent.skills] }) === undefined) finish('idle');
      } catch (err) {
        // A busy or briefly unreadable ledger: look again at the next change or tick.
        log.warn('could not check for work left', { agent: agent.id, error: String(err) });
      }
    };
    const unsubscribe = watcher.subscribe(check);
    const tick = setInterval(check, tickMs);
    void stop.then(() => finish('stopped'));
    check();
  });
}
