import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { collect } from '../support/spawn-ts.ts';
import { tempDir } from '../support/temp-ledger.ts';
import { fakeIo, spawnCliIn } from './cli-process.ts';

/** A project folder with a config naming `db` and `workDir` relatively, and an agents/ folder inside. */
function project(config: Record<string, unknown> = { db: './data/swarm.db', workDir: './work' }) {
  const dir = tempDir();
  mkdirSync(join(dir, 'agents'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'chat-swarm.json'), JSON.stringify(config));
  return dir;
}

async function where(args: string[], options: Parameters<typeof fakeIo>[0]) {
  const r = fakeIo(options);
  expect(await main(['where', '--json', ...args], r.io)).toBe(0);
  return JSON.parse(r.out[0]!) as { db: string; dbFrom: string; config: string | null; workDir: string };
}

describe('where the ledger is: one rule for every command', () => {
  it("resolves the config's db and workDir against the config file's folder, not the current one", async () => {
    const dir = project();
    const fromAgents = await where(['--config', '../chat-swarm.json'], { cwd: join(dir, 'agents') });
    expect(fromAgents).toMatchObject({
      db: join(dir, 'data', 'swarm.db'),
      config: join(dir, 'chat-swarm.json'),
      workDir: join(dir, 'work'),
    });
    expect(fromAgents.dbFrom).toContain('"db" in');
    // SWARM_CONFIG is read the same way.
    const viaEnv = await where([], { cwd: join(dir, 'agents'), env: { SWARM_CONFIG: '../chat-swarm.json' } });
    expect(viaEnv.db).toBe(join(dir, 'data', 'swarm.db'));
  });

  it('takes --db over SWARM_DB over the config over ./swarm.db, each absolute', async () => {
    const dir = project();
    const cwd = join(dir, 'agents');
    const cfg = ['--config', '../chat-swarm.json'];
    expect((await where([...cfg, '--db', 'x.db'], { cwd, env: { SWARM_DB: 'y.db' } })).db).toBe(
      join(cwd, 'x.db'),
    );
    expect((await where(cfg, { cwd, env: { SWARM_DB: 'y.db' } })).dbFrom).toBe('SWARM_DB');
    expect((await where(cfg, { cwd, env: { SWARM_DB: 'y.db' } })).db).toBe(join(cwd, 'y.db'));
    expect((await where(cfg, { cwd })).db).toBe(join(dir, 'data', 'swarm.db'));
    // No config here: ./swarm.db in the current folder.
    const bare = await where([], { cwd });
    expect(bare).toMatchObject({
      db: join(cwd, 'swarm.db'),
      config: null,
      workDir: join(cwd, '.swarm-work'),
    });
  });

  it('finds ./chat-swarm.json in the current folder without --config', async () => {
    const dir = project();
    expect((await where([], { cwd: dir })).db).toBe(join(dir, 'data', 'swarm.db'));
  });

  it('task add from another folder with --config reaches the same ledger, and says when it creates it', async () => {
    const dir = project();
    const first = fakeIo({ cwd: join(dir, 'agents') });
    expect(await main(['task', 'add', 'one', '--config', '../chat-swarm.json'], first.io)).toBe(0);
    expect(first.err).toEqual([`created ledger ${join(dir, 'data', 'swarm.db')}`]);
    expect(existsSync(join(dir, 'agents', 'swarm.db'))).toBe(false);
    const second = fakeIo({ cwd: dir });
    expect(await main(['task', 'add', 'two'], second.io)).toBe(0);
    expect(second.err).toEqual([]); // it existed: nothing to say
    const list = fakeIo({ cwd: dir });
    await main(['task', 'list', '--json'], list.io);
    expect((JSON.parse(list.out[0]!) as unknown[]).length).toBe(2);
  });

  it('status prints the absolute path even for a relative --db; --json carries it too', async () => {
    const dir = tempDir();
    await main(['task', 'add', 'x', '--db', 'rel.db'], fakeIo({ cwd: dir }).io);
    const text = fakeIo({ cwd: dir });
    expect(await main(['status', '--db', 'rel.db'], text.io)).toBe(0);
    expect(text.out[0]).toMatch(new RegExp(`^ledger ${join(dir, 'rel.db')}\\n`));
    const json = fakeIo({ cwd: dir });
    await main(['status', '--db', 'rel.db', '--json'], json.io);
    expect(JSON.parse(json.out[0]!)).toMatchObject({ db: join(dir, 'rel.db') });
    const which = fakeIo({ cwd: dir });
    expect(await main(['task', 'list', '--db', 'rel.db', '--which-db'], which.io)).toBe(0);
    expect(which.err[0]).toBe(`ledger ${join(dir, 'rel.db')} (from --db)`);
  });

  it('commands that read or steer tasks never create a ledger: one line with the absolute path and the fix', async () => {
    const dir = project();
    const cwd = join(dir, 'agents');
    const commands = [
      ['status'],
      ['export'],
      ['task', 'list'],
      ['task', 'show', 'T-1'],
      ['task', 'wait', 'T-1'],
      ['task', 'answer', 'T-1', 'yes'],
      ['task', 'approve', 'T-1'],
      ['task', 'cancel', 'T-1'],
      ['pause'],
      ['prune'],
    ];
    for (const args of commands) {
      const r = fakeIo({ cwd });
      expect(await main([...args, '--config', '../chat-swarm.json'], r.io), args.join(' ')).toBe(1);
      expect(r.err[0]).toContain(`no ledger at ${join(dir, 'data', 'swarm.db')}`);
      expect(r.err[0]).toMatch(/--db PATH, SWARM_DB or --config FILE/);
    }
    expect(existsSync(join(dir, 'data', 'swarm.db'))).toBe(false);
    expect(existsSync(join(cwd, 'swarm.db'))).toBe(false);
  });

  it('init writes the config and creates its ledger beside it', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'sub'));
    const r = fakeIo({ cwd: join(dir, 'sub') });
    expect(await main(['init', '../chat-swarm.json'], r.io)).toBe(0);
    expect(r.err).toEqual([`created ledger ${join(dir, 'swarm.db')}`]);
    expect(existsSync(join(dir, 'swarm.db'))).toBe(true);
    const status = fakeIo({ cwd: dir });
    expect(await main(['status'], status.io)).toBe(0);
  });

  it('says which folder is missing when the ledger cannot be created there', async () => {
    const dir = tempDir();
    const r = fakeIo({ cwd: dir });
    expect(await main(['task', 'add', 'x', '--db', 'nope/swarm.db'], r.io)).toBe(3);
    expect(r.err[0]).toContain(`the folder ${join(dir, 'nope')} does not exist`);
  });

  it('the real CLI run from a subfolder with --config adds to the swarm next to the config', async () => {
    const dir = project({ db: './swarm.db' });
    const added = await collect(
      spawnCliIn(join(dir, 'agents'), [
        'task',
        'add',
        'from agents',
        '--config',
        '../chat-swarm.json',
        '--json',
      ]),
    );
    expect(added.code, added.stderr).toBe(0);
    expect(added.stderr).toContain(`created ledger ${join(dir, 'swarm.db')}`);
    expect(JSON.parse(added.stdout)).toMatchObject({ db: join(dir, 'swarm.db'), created: true });
    const shown = await collect(spawnCliIn(dir, ['task', 'show', 'T-1', '--json']));
    expect(shown.code, shown.stderr).toBe(0);
    expect(existsSync(join(dir, 'agents', 'swarm.db'))).toBe(false);
  }, 60_000);
});
