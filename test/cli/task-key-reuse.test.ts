import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { tempDir } from '../support/temp-ledger.ts';
import { fakeIo } from './cli-process.ts';

describe('task add --key: a reused key with other content', () => {
  async function add(db: string, args: string[]) {
    const r = fakeIo();
    const code = await main(['task', 'add', '--db', db, '--json', ...args], r.io);
    return { code, json: JSON.parse(r.stdout()) as Record<string, unknown>, err: r.err };
  }

  it('returns the existing task with a warning on stderr and in --json, exit 0', async () => {
    const db = join(tempDir(), 'swarm.db');
    expect(
      (await add(db, ['Write docs', '--key', 'DOC-1', '--skills', 'docs', '--body', 'all of it'])).code,
    ).toBe(0);
    const other = await add(db, ['Write tests', '--key', 'DOC-1', '--skills', 'code', '--body', 'all of it']);
    expect(other.code).toBe(0);
    const warning =
      'key DOC-1 already names a task with a different title and skills; returned the existing task DOC-1 (queued)';
    expect(other.err).toEqual([`warning: ${warning}`]);
    expect(other.json).toMatchObject({ created: false, warning, task: { id: 'DOC-1', title: 'Write docs' } });
    const body = await add(db, ['Write docs', '--key', 'DOC-1', '--skills', 'docs', '--body', 'half']);
    expect(body.json.warning).toMatch(/different body;/);
  });

  it('says nothing when the content is the same (a plain retry), whatever the order of skills', async () => {
    const db = join(tempDir(), 'swarm.db');
    await add(db, ['Same', '--key', 'S-1', '--skills', 'a,b']);
    const retry = await add(db, ['Same', '--key', 'S-1', '--skills', 'b,a']);
    expect(retry).toMatchObject({ code: 0, err: [] });
    expect(retry.json).not.toHaveProperty('warning');
    const text = fakeIo();
    expect(await main(['task', 'add', 'Same', '--key', 'S-1', '--skills', 'a,b', '--db', db], text.io)).toBe(
      0,
    );
    expect(text.out).toEqual(['exists S-1']);
  });
});
