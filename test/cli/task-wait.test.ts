import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { outcomeOf } from '../../src/cli/task-wait.ts';
import type { Task, TaskStatus } from '../../src/core/types.ts';
import { Ledger } from '../../src/ledger/ledger.ts';
import { collect } from '../support/spawn-ts.ts';
import { tempDir } from '../support/temp-ledger.ts';
import { waitFor } from '../support/wait-for.ts';
import { fakeIo, spawnCliIn } from './cli-process.ts';

const AGENT = { id: 'worker-001', skills: [] as string[] };

function ledgerWith(titles: string[]): { db: string; ledger: Ledger } {
  const db = join(tempDir(), 'swarm.db');
  const ledger = Ledger.open(db, { synchronous: 'normal', retryBaseMs: 0 });
  ledger.registerAgent({ id: AGENT.id, skills: [], capacity: 10 });
  for (const title of titles) ledger.createTask({ title, maxAttempts: 1 }, 'test');
  return { db, ledger };
}

/** Claims `id` and ends it the given way. */
function finish(
  ledger: Ledger,
  id: string,
  how: 'done' | 'failed' | 'cancelled' | 'blocked' | 'review',
): void {
  if (how === 'cancelled') {
    ledger.cancel(id, 'test');
    return;
  }
  const claim = ledger.claimTask(id, AGENT);
  if (claim.kind !== 'claimed') throw new Error(`could not claim ${id}: ${claim.kind}`);
  const ref = { taskId: id, attempt: claim.attempt, agentId: AGENT.id };
  if (how === 'done' || how === 'review') ledger.complete(ref, `result of ${id}`);
  else if (how === 'failed') ledger.fail(ref, 'it broke');
  else ledger.ask(ref, 'which one?');
}

const task = (status: TaskStatus): Task => ({ status }) as Task;

describe('task wait: the outcome of a set of tasks', () => {
  it('waits while any task is open; when all are final, failed beats cancelled beats done', () => {
    expect(outcomeOf([task('done'), task('claimed')], false)).toBeUndefined();
    expect(outcomeOf([task('done'), task('done')], false)).toBe('done');
    expect(outcomeOf([task('done'), task('cancelled')], false)).toBe('cancelled');
    expect(outcomeOf([task('cancelled'), task('failed'), task('done')], false)).toBe('failed');
  });

  it('with --until-person stops at the first task that needs a person, not without it', () => {
    expect(outcomeOf([task('blocked'), task('claimed')], false)).toBeUndefined();
    expect(outcomeOf([task('blocked'), task('claimed')], true)).toBe('needs-person');
    expect(outcomeOf([task('review'), task('queued')], true)).toBe('needs-person');
    expect(outcomeOf([task('done'), task('failed')], true)).toBe('failed');
  });
});

describe('task wait: blocks until the ledger says so', () => {
  async function waitWhile(args: string[], db: string, act: () => void) {
    const r = fakeIo();
    const pending = main(['task', 'wait', ...args, '--db', db], r.io);
    // The wait is running; now another connection changes the tasks.
    await new Promise((resolve) => setTimeout(resolve, 100));
    act();
    const code = await pending;
    return { code, out: r.stdout(), err: r.stderr() };
  }

  it('exits 0 with the status line and result once the task is done', async () => {
    const { db, ledger } = ledgerWith(['one']);
    const r = await waitWhile(['T-1'], db, () => finish(ledger, 'T-1', 'done'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('T-1 done: one');
    expect(r.out).toContain('result of T-1');
    ledger.close();
  });

  it('exit codes by outcome: failed 1, cancelled 4, needs a person 6, timed out 5', async () => {
    const { db, ledger } = ledgerWith(['a', 'b', 'c', 'd', 'e']);
    expect((await waitWhile(['T-1'], db, () => finish(ledger, 'T-1', 'failed'))).code).toBe(1);
    expect((await waitWhile(['T-2'], db, () => finish(ledger, 'T-2', 'cancelled'))).code).toBe(4);
    const person = await waitWhile(['T-3', '--until-person', '--json'], db, () =>
      finish(ledger, 'T-3', 'blocked'),
    );
    expect(person.code).toBe(6);
    expect(JSON.parse(person.out)).toMatchObject({
      db,
      outcome: 'needs-person',
      tasks: [{ id: 'T-3', status: 'blocked', question: 'which one?' }],
    });
    ledger.createTask({ title: 'reviewed', review: true }, 'test'); // T-6
    const review = await waitWhile(['T-6', '--until-person'], db, () => finish(ledger, 'T-6', 'review'));
    expect(review.code).toBe(6);
    expect(review.out).toContain('review with: chat-swarm task approve T-6');
    const timedOut = fakeIo();
    expect(await main(['task', 'wait', 'T-5', '--timeout', '1s', '--db', db], timedOut.io)).toBe(5);
    expect(timedOut.stdout()).toMatch(/T-5 queued: e\n[\s\S]*timed out waiting/);
    ledger.close();
  });

  it('several tasks: waits for all, then the worst outcome', async () => {
    const { db, ledger } = ledgerWith(['a', 'b']);
    finish(ledger, 'T-1', 'done');
    const r = await waitWhile(['T-1', 'T-2', '--json'], db, () => finish(ledger, 'T-2', 'cancelled'));
    expect(r.code).toBe(4);
    expect(JSON.parse(r.out).tasks.map((t: Task) => t.status)).toEqual(['done', 'cancelled']);
    ledger.close();
  });

  it('refuses an unknown task (1) and a bad duration (2) before waiting', async () => {
    const { db, ledger } = ledgerWith(['a']);
    const unknown = fakeIo();
    expect(await main(['task', 'wait', 'T-1', 'T-9', '--db', db], unknown.io)).toBe(1);
    expect(unknown.stderr()).toBe('no task T-9');
    const bad = fakeIo();
    expect(await main(['task', 'wait', 'T-1', '--timeout', 'soon', '--db', db], bad.io)).toBe(2);
    expect(bad.stderr()).toMatch(/--timeout takes a duration/);
    ledger.close();
  });

  it('the real CLI: task add --wait in one process returns when another process finishes the task', async () => {
    const dir = tempDir();
    const db = join(dir, 'swarm.db');
    const waiting = collect(
      spawnCliIn(dir, ['task', 'add', 'paint it', '--key', 'PAINT-1', '--wait', '--json']),
    );
    const ledger = await waitFor(
      'the ledger and the task',
      () => {
        try {
          const l = Ledger.open(db, { synchronous: 'normal' });
          if (l.getTask('PAINT-1')) return l;
          l.close();
        } catch {
          // Not created yet.
        }
        return undefined;
      },
      30_000,
      50,
    );
    ledger.registerAgent({ id: AGENT.id, skills: [], capacity: 1 });
    finish(ledger, 'PAINT-1', 'done');
    const r = await waiting;
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      created: true,
      outcome: 'done',
      task: { id: 'PAINT-1', status: 'done', result: 'result of PAINT-1' },
    });
    // task wait in another process sees it final at once.
    const again = await collect(spawnCliIn(dir, ['task', 'wait', 'PAINT-1']));
    expect(again.code).toBe(0);
    ledger.close();
  }, 60_000);
});
