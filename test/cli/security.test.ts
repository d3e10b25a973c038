import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { Ledger } from '../../src/ledger/ledger.ts';
import { collect, spawnCli } from '../support/spawn-ts.ts';
import { tempDir } from '../support/temp-ledger.ts';
import { waitFor } from '../support/wait-for.ts';

const modeOf = (path: string): number => statSync(path).mode & 0o777;

/** A configured token with no token shape, and a token-shaped string nobody configured. */
const BOT_VALUE = 'plain-secret-value-4242';
const SHAPED = `7123456789:AAHdqTcvCH1vGWJx${'fS'.repeat(10)}w1`;

function expectNoSecret(text: string, where: string): void {
  expect(text, where).not.toContain(BOT_VALUE);
  expect(text, where).not.toContain(SHAPED);
  expect(text, where).not.toContain('AAHdqTcvCH1vGWJx');
}

/** Every folder and file under `root`, with its mode. */
function walk(root: string): { path: string; dir: boolean; mode: number }[] {
  const out = [{ path: root, dir: true, mode: modeOf(root) }];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const path = join(root, entry.name);
    if (entry.isDirectory()) out.push(...walk(path));
    else out.push({ path, dir: false, mode: modeOf(path) });
  }
  return out;
}

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), env: {} }, out, err };
}

let savedUmask = 0;
beforeEach(() => {
  // What most shells have; the CLI must not follow it (its child processes inherit this one).
  savedUmask = process.umask(0o022);
});
afterEach(() => {
  process.umask(savedUmask);
});

describe('chat-swarm CLI security', () => {
  it(
    'under umask 022 keeps files 0600 and folders 0700, and a worker that prints a token leaks it nowhere',
    { timeout: 120_000 },
    async () => {
      const dir = tempDir();
      const db = join(dir, 'swarm.db');
      const work = join(dir, 'work');
      const leakFile = join(dir, 'leak.txt');
      writeFileSync(leakFile, `value ${BOT_VALUE} and ${SHAPED}\n`);
      const config = join(dir, 'chat-swarm.json');
      // The worker reads the secrets from a file (so neither the config nor the environment hands
      // them over), prints them as result, diagnostic and error output, and leaves files behind.
      const command = [
        `cat ${leakFile}`,
        `echo "::log diag $(cat ${leakFile})"`,
        `cat ${leakFile} >&2`,
        'echo mine > made-by-worker.txt',
        'mkdir made-by-worker',
      ].join('; ');
      writeFileSync(config, JSON.stringify({ db, workDir: work, agents: [{ id: 'leaky', command }] }));
      const env = { TELEGRAM_BOT_TOKEN: BOT_VALUE, SWARM_LOG_LEVEL: 'debug' };

      const add = await collect(spawnCli(['task', 'add', 'Leak', '--config', config], env));
      expect(add.code, add.stderr).toBe(0);
      expect(modeOf(db)).toBe(0o600);

      const up = spawnCli(['up', '--config', config], env);
      const upDone = collect(up);
      try {
        await waitFor(
          'the task done',
          () => {
            const ledger = Ledger.open(db, { readonly: true });
            try {
              return ledger.getTask('T-1')?.status === 'done';
            } finally {
              ledger.close();
            }
          },
          60_000,
          200,
        );
        // While `up` runs, the WAL and the shared-memory file exist: private too.
        for (const file of [db, `${db}-wal`, `${db}-shm`]) expect(modeOf(file), file).toBe(0o600);
        const tree = walk(work);
        expect(tree.some((e) => e.path.endsWith('made-by-worker.txt'))).toBe(true);
        for (const e of tree) expect(e.mode, e.path).toBe(e.dir ? 0o700 : 0o600);
      } finally {
        up.kill('SIGINT');
      }
      const upResult = await upDone;
      expect(upResult.code, upResult.stderr).toBe(0);
      // stdout is the console channel (the mirror), stderr the log.
      expect(upResult.stdout).toContain('[masked TELEGRAM_BOT_TOKEN]');
      expectNoSecret(upResult.stdout, 'console channel');
      expect(upResult.stderr).toContain('diag value [masked TELEGRAM_BOT_TOKEN] and [masked token]');
      expectNoSecret(upResult.stderr, 'log');

      const out = join(dir, 'export.jsonl');
      const exported = await collect(spawnCli(['export', '--db', db, '--out', out]));
      expect(exported.code, exported.stderr).toBe(0);
      expect(modeOf(out)).toBe(0o600);
      expect(readFileSync(out, 'utf8')).toContain('[masked TELEGRAM_BOT_TOKEN]');
      expectNoSecret(readFileSync(out, 'utf8'), 'export');
      const show = await collect(spawnCli(['task', 'show', 'T-1', '--db', db, '--json']));
      expect(show.code, show.stderr).toBe(0);
      expectNoSecret(show.stdout, 'task show');
      expectNoSecret(readFileSync(db).toString('latin1'), 'ledger file');

      const starter = join(dir, 'starter.json');
      const init = await collect(spawnCli(['init', starter]));
      expect(init.code, init.stderr).toBe(0);
      expect(modeOf(starter)).toBe(0o600);
    },
  );

  it('refuses task keys that would lead outside the work root, with the rule', async () => {
    const db = join(tempDir(), 'swarm.db');
    for (const key of ['../x', '..', 'a/b', '.hidden', '/etc/passwd']) {
      const r = io();
      expect(await main(['task', 'add', 'Escape', '--key', key, '--db', db], r.io), key).toBe(2);
      expect(r.err.join('\n'), key).toMatch(
        /a key is 1 to 64 letters, digits, '\.', '_' or '-', starting with a letter or digit, with no '\.\.'/,
      );
    }
    const ok = io();
    expect(await main(['task', 'add', 'Fine', '--key', 'ORA-001', '--db', db], ok.io)).toBe(0);
    expect(ok.out).toEqual(['created ORA-001']);
  });

  it('never prints a known secret in an error line', async () => {
    const r = io();
    const env = { TELEGRAM_BOT_TOKEN: BOT_VALUE };
    // A config path that is the secret: the "cannot read" error would quote it.
    const code = await main(['status', '--config', join(tempDir(), `${BOT_VALUE}.json`)], {
      ...r.io,
      env,
    });
    expect(code).toBe(2);
    expect(r.err.join('\n')).toContain('[masked TELEGRAM_BOT_TOKEN]');
    expectNoSecret(r.err.join('\n'), 'error');
  });
});
