import { describe, expect, it } from 'vitest';
import { LedgerError } from '../../src/core/errors.ts';
import { SecretMasker } from '../../src/core/secret-masker.ts';
import { maskNewTask, maskOutcome, maskSchedule } from '../../src/ledger/input-masking.ts';

const SECRET = 'plain-secret-value-4242';
const masker = new SecretMasker([{ name: 'TELEGRAM_BOT_TOKEN', value: SECRET }]);

describe('input masking', () => {
  it('masks a new task title and body, and refuses a key that holds a secret', () => {
    const task = maskNewTask(masker, { title: `t ${SECRET}`, body: `b ${SECRET}` });
    expect(task.title).not.toContain(SECRET);
    expect(task.body).not.toContain(SECRET);
    expect(() => maskNewTask(masker, { title: 't', key: `k-${SECRET}` })).toThrow(LedgerError);
    expect(maskNewTask(masker, { title: 't', key: 'nightly-1' }).key).toBe('nightly-1');
  });

  it('drops an artifact whose name holds a secret and says so in a notice', () => {
    const kept = { name: 'report.txt', path: '/a/report.txt', bytes: 1, sha256: 'x' };
    const leaked = { name: `${SECRET}.txt`, path: `/a/${SECRET}.txt`, bytes: 1, sha256: 'y' };
    const o = maskOutcome(masker, `done ${SECRET}`, [kept, leaked], [`note ${SECRET}`]);
    expect(o.result).not.toContain(SECRET);
    expect(o.artifacts).toEqual([kept]);
    expect(o.notices).toHaveLength(2);
    expect(o.notices.join('\n')).not.toContain(SECRET);
    expect(o.notices[1]).toContain('1 artifact(s) not attached');
  });

  it("masks a schedule's task template and summary title, keeping the rest", () => {
    const definition = JSON.stringify({ cron: '0 9 * * *', task: { title: `t ${SECRET}`, body: SECRET } });
    const s = maskSchedule(masker, {
      id: 'daily',
      definition,
      summary: { trigger: 'every day', title: `t ${SECRET}`, next: 'tomorrow' },
    });
    expect(s.id).toBe('daily');
    expect(s.summary.trigger).toBe('every day');
    expect(s.summary.title).not.toContain(SECRET);
    expect(s.definition).not.toContain(SECRET);
    expect(JSON.parse(s.definition)).toMatchObject({ cron: '0 9 * * *' });
  });
});
