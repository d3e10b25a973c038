import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { LedgerError } from '../../src/core/errors.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';
import { manualClock, tempLedger } from '../support/temp-ledger.ts';
import { rehashChain } from './forge-chain.ts';

type Clock = ReturnType<typeof manualClock>;

function claim(l: Ledger, agent: string, taskId?: string) {
  const c = taskId
    ? l.claimTask(taskId, { id: agent, skills: ['x'] })
    : l.claimNext({ id: agent, skills: ['x'] });
  if (c.kind !== 'claimed') throw new Error(`claim: ${c.kind}`);
  return { taskId: c.task.id, attempt: c.attempt, agentId: agent };
}

/** Every kind of change the ledger makes, so the replay is checked against the real operations. */
function busyLedger(): { l: Ledger; clock: Clock } {
  const clock = manualClock();
  const l = tempLedger({ clock, retryBaseMs: 1_000, leaseMs: 10_000 });
  l.registerAgent({ id: 'a1', skills: ['x'], capacity: 2 });
  l.registerAgent({ id: 'a2', skills: ['x'], capacity: 2 });
  l.createTask({ title: 'plain', body: 'do it', skills: ['x'], priority: 7 }, 'cli');
  l.createTask({ title: 'reviewed', review: true }, 'alice [telegram:1]');
  l.createTask({ title: 'keyed', key: 'ORA-001', maxAttempts: 2, timeoutMs: 60_000 }, 'cli');
  l.createTask({ title: 'after', dependsOn: ['T-1', 'ORA-001'] }, 'cli');
  l.createTask({ title: 'assigned', assignee: 'a2' }, 'cli');

  const r1 = claim(l, 'a1', 'T-1');
  l.progress(r1, 40, 'halfway');
  l.ask(r1, 'which colour?');
  l.answer('T-1', 'blue', 'alice');
  expect(l.takeAnswer(r1)).toEqual({ ok: true, answer: 'blue' });
  l.heartbeat(r1);
  l.complete(r1, 'painted blue', [{ name: 'a.png', path: '/tmp/a.png', bytes: 3, sha256: 'ab'.repeat(32) }]);

  const r2 = claim(l, 'a2', 'T-2');
  l.complete(r2, 'draft');
  l.reject('T-2', 'too short', 'alice');
  clock.advance(10);
  const r2b = claim(l, 'a1', 'T-2');
  l.complete(r2b, 'longer draft');
  l.approve('T-2', 'alice');

  const r3 = claim(l, 'a1', 'ORA-001');
  l.fail(r3, 'exit 1');
  clock.advance(5_000);
  const r3b = claim(l, 'a2', 'ORA-001');
  clock.advance(20_000);
  expect(l.expireLeases()).toBe(1); // no attempts left: failed
  l.retry('ORA-001', 'alice');
  l.fail(r3b, 'late zombie write'); // stale: refused with an event
  const r3c = claim(l, 'a1', 'ORA-001');
  l.release(r3c, 'shutting down');
  l.setPriority('ORA-001', 9, 'alice');
  const r3d = claim(l, 'a2', 'ORA-001');
  l.assign('ORA-001', 'a1', 'alice'); // takes it from a2
  l.addNote('ORA-001', 'use the staging db', 'alice');
  const r3e = claim(l, 'a1', 'ORA-001');
  void r3d;
  l.complete(r3e, 'migrated');

  l.cancel('T-5', 'alice', 'not needed');
  l.retry('T-5', 'alice');
  l.pause('alice');
  l.pause('alice', 'a2');
  l.resume('alice', 'a2');
  return { l, clock };
}

describe('audit replays the event log against the task rows', () => {
  it('passes a ledger that went through every operation', () => {
    const { l } = busyLedger();
    const report = l.audit();
    expect(report.problems.filter((p) => p.kind !== 'pending' && p.kind !== 'mirror')).toEqual([]);
    expect(report.tasks).toBe(5);
    expect(report.notes.join('\n')).not.toMatch(/older chat-swarm/);
  });

  it.each([12_345, 777, 4_242])('passes after a long random mix of operations, seed %i', (start) => {
    const clock = manualClock();
    const l = tempLedger({ clock, retryBaseMs: 500, leaseMs: 5_000 });
    let seed = start;
    // mulberry32: small, seeded, good enough to reach every operation.
    const rand = (n: number): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    const agents = ['a1', 'a2', 'a3'];
    for (const id of agents) l.registerAgent({ id, skills: ['x'], capacity: 3 });
    for (let step = 0; step < 600; step++) {
      const ids = l.listTasks().map((t) => t.id);
      const pick = <T>(xs: T[]): T | undefined => (xs.length ? xs[rand(xs.length)] : undefined);
      const task = pick(ids) ?? 'T-1';
      // Mostly the current attempt of a live task; sometimes a stale one, as a zombie would send.
      const held = l.listTasks({ status: ['claimed', 'blocked'] });
      const h = pick(held);
      const ref = h && { taskId: h.id, attempt: h.attempt - (rand(6) === 0 ? 1 : 0), agentId: h.owner! };
      try {
        switch (rand(16)) {
          case 0:
          case 1:
            l.createTask(
              {
                title: `t${step}`,
                review: rand(3) === 0,
                priority: rand(10),
                ...(ids.length && rand(3) === 0 ? { dependsOn: [pick(ids)!] } : {}),
                ...(rand(5) === 0 ? { key: `K-${rand(20)}` } : {}),
              },
              'cli',
            );
            break;
          case 2:
          case 3: {
            l.claimNext({ id: pick(agents)!, skills: ['x'] });
            break;
          }
          case 4:
            if (ref) l.progress(ref, rand(100), `p${step}`);
            break;
          case 5:
            if (ref) l.ask(ref, `q${step}?`);
            break;
          case 6:
            l.answer(
              pick(l.listTasks({ status: ['blocked'] }).map((t) => t.id)) ?? task,
              `a${step}`,
              'alice',
            );
            break;
          case 7:
            if (ref) l.complete(ref, `r${step}`);
            break;
          case 8:
            if (ref) l.fail(ref, `e${step}`);
            break;
          case 9:
            if (ref) l.release(ref, 'bye');
            break;
          case 10:
            l.cancel(task, 'alice');
            break;
          case 11:
            l.retry(task, 'alice');
            break;
          case 12:
            l.assign(task, pick(agents)!, 'alice');
            break;
          case 13: {
            const reviewed = pick(l.listTasks({ status: ['review'] }).map((t) => t.id)) ?? task;
            if (rand(2)) l.approve(reviewed, 'alice');
            else l.reject(reviewed, `fb${step}`, 'alice');
            break;
          }
          case 14:
            l.setPriority(task, rand(10), 'alice');
            break;
          default:
            clock.advance(rand(8_000));
            l.expireLeases();
            if (ref) l.takeAnswer(ref);
            if (rand(4) === 0) l.addNote(task, `n${step}`, 'alice');
        }
      } catch (err) {
        if (!(err instanceof LedgerError)) throw err;
      }
    }
    expect(l.listTasks().length).toBeGreaterThan(20);
    const types = new Set(l.events().map((e) => e.type));
    for (const t of ['task_released', 'task_assigned', 'task_rejected', 'lease_expired', 'task_answered'])
      expect(types).toContain(t);
    expect(l.audit().problems.filter((p) => p.kind === 'state' || p.kind === 'chain')).toEqual([]);
  });

  it('catches a task row edited to done with no event behind it', async () => {
    const l2 = busyLedger().l;
    // An invoice put in review the honest way; then the row alone is edited to look approved.
    l2.resume('alice');
    l2.createTask({ title: 'invoice', review: true }, 'cli');
    const ref = claim(l2, 'a1', 'T-6');
    l2.complete(ref, 'pay 10k');
    expect(l2.getTask('T-6')!.status).toBe('review');
    l2.db.prepare("UPDATE tasks SET status = 'done', result = 'approved by CFO' WHERE id = 'T-6'").run();
    const problems = l2
      .audit()
      .problems.filter((p) => p.kind === 'state')
      .map((p) => p.problem);
    expect(problems).toContain('T-6: status is done but the events say review');
    expect(problems.some((p) => p.startsWith('T-6: result is "approved by CFO"'))).toBe(true);

    const out: string[] = [];
    const code = await main(['audit', '--db', l2.path], {
      out: (t) => void out.push(t),
      err: (t) => void out.push(t),
      env: {},
    });
    expect(code).toBe(1);
    expect(out.join('\n')).toMatch(/T-6: status is done but the events say review/);
  });

  it('catches owners, attempts, priorities and flags edited without events', () => {
    const { l } = busyLedger();
    l.db.prepare("UPDATE tasks SET owner = 'mallory', priority = 1, review = 1 WHERE id = 'T-1'").run();
    l.db.prepare("UPDATE attempts SET agent_id = 'mallory' WHERE task_id = 'T-2' AND attempt = 2").run();
    l.db.prepare("UPDATE kv SET value = '0' WHERE key = 'swarm_paused'").run();
    const problems = l.audit().problems.map((p) => p.problem);
    expect(problems).toEqual(
      expect.arrayContaining([
        'T-1: owner is "mallory" but the events say empty',
        'T-1: priority is 1 but the events say 7',
        'T-1: review flag is true but the events say false',
        'T-2 attempt 2: agent is "mallory" but the events say "a1"',
        'the swarm is running but the events say paused',
      ]),
    );
  });

  it('catches a task inserted without an event, and one whose row was deleted', () => {
    const { l } = busyLedger();
    l.db
      .prepare(
        `INSERT INTO tasks (id, seq, title, timeout_ms, max_attempts, status, created_by, created_at, updated_at)
         VALUES ('T-99', 99, 'ghost', 1000, 1, 'done', 'cli', 0, 0)`,
      )
      .run();
    l.db.prepare("DELETE FROM task_deps WHERE task_id = 'T-4'").run();
    l.db.prepare("DELETE FROM tasks WHERE id = 'T-4'").run();
    const problems = l.audit().problems.map((p) => p.problem);
    expect(problems).toContain('T-99: the task is in the tasks table but no event created it (status done)');
    expect(problems).toContain('T-4: the events describe this task but its row is gone');
  });

  it('checks what it can on a ledger written before events recorded every field, and says what it skipped', () => {
    const { l } = busyLedger();
    // Events as an older chat-swarm wrote them: task_created with title and dependsOn only.
    l.db
      .prepare(
        "UPDATE events SET data = json_object('title', json_extract(data, '$.title'), 'dependsOn', json(json_extract(data, '$.dependsOn'))) WHERE type = 'task_created'",
      )
      .run();
    l.db
      .prepare(
        "UPDATE events SET data = json_remove(data, '$.notBefore') WHERE type IN ('attempt_failed', 'lease_expired')",
      )
      .run();
    rehashChain(l.db);
    const report = l.audit();
    expect(report.problems.filter((p) => p.kind !== 'pending' && p.kind !== 'mirror')).toEqual([]);
    expect(report.notes.join('\n')).toMatch(/older chat-swarm.*not checked: .*review flag \(5\)/);
    // Status is still checked from old events.
    l.db.prepare("UPDATE tasks SET status = 'done' WHERE id = 'T-5'").run();
    expect(l.audit().problems.map((p) => p.problem)).toContain(
      'T-5: status is done but the events say queued',
    );
  });
});
