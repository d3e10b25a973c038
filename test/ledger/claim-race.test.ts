import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ledger } from '../../src/ledger/ledger.ts';
import { collect, spawnTs } from '../support/spawn-ts.ts';
import { tempDir } from '../support/temp-ledger.ts';

const PROCESSES = 32;
const TASKS = 400;

describe('claims across processes', () => {
  it(`never gives one task to two of ${PROCESSES} racing processes`, async () => {
    const dir = tempDir();
    const db = join(dir, 'swarm.db');
    const setup = Ledger.open(db, { synchronous: 'normal' });
    for (let i = 0; i < TASKS; i++) setup.createTask({ title: `race ${i}` }, 'test');
    setup.close();

    const children = Array.from({ length: PROCESSES }, (_, i) =>
      collect(spawnTs('test/support/processes/claim-racer.ts', [db, `racer-${i}`])),
    );
    // Let the processes load, then start them together.
    await new Promise((r) => setTimeout(r, 1_500));
    writeFileSync(`${db}.go`, '');
    const results = await Promise.all(children);
    for (const r of results) expect(r.stderr, r.stderr).toBe('');
    const completed = results.flatMap((r) => r.stdout.split('\n').filter(Boolean));

    expect(completed).toHaveLength(TASKS);
    expect(new Set(completed).size).toBe(TASKS);
    const check = Ledger.open(db);
    const attempts = check.db
      .prepare('SELECT task_id, COUNT(*) AS n FROM attempts GROUP BY task_id HAVING n > 1')
      .all();
    expect(attempts).toEqual([]);
    expect(check.countByStatus()).toEqual({ done: TASKS });
    // More than one process did real work, or this was not a race at all.
    const workers = new Set(
      (check.db.prepare('SELECT DISTINCT agent_id FROM attempts').all() as { agent_id: string }[]).map(
        (r) => r.agent_id,
      ),
    );
    expect(workers.size).toBeGreaterThan(1);
    expect(check.audit().problems.filter((p) => !p.problem.includes('not posted yet'))).toEqual([]);
    check.close();
  }, 180_000);

  it('creates one task when many processes race to create the same key', async () => {
    const dir = tempDir();
    const db = join(dir, 'swarm.db');
    Ledger.open(db).close();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        collect(spawnTs('test/support/processes/claim-racer.ts', [db, `maker-${i}`, 'create-key'])),
      ),
    );
    const lines = results.map((r) => r.stdout.trim());
    expect(lines.filter((l) => l.startsWith('created'))).toHaveLength(1);
    expect(lines.filter((l) => l === 'existing RACE-KEY')).toHaveLength(7);
    const check = Ledger.open(db);
    expect(check.listTasks()).toHaveLength(1);
    check.close();
  }, 120_000);
});
