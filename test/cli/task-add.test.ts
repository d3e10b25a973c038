import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { Ledger } from '../../src/ledger/ledger.ts';
import { collect } from '../support/spawn-ts.ts';
import { tempDir } from '../support/temp-ledger.ts';
import { fakeIo, spawnCliIn } from './cli-process.ts';

async function add(args: string[], options: { stdin?: string; cwd?: string } = {}) {
  const dir = options.cwd ?? tempDir();
  const db = join(dir, 'swarm.db');
  const r = fakeIo({ cwd: dir, ...(options.stdin !== undefined ? { stdin: options.stdin } : {}) });
  const code = await main(['task', 'add', '--db', db, '--json', ...args], r.io);
  const task = code === 0 ? (JSON.parse(r.out[0]!) as { task: { id: string } }).task : undefined;
  const stored = () => {
    const ledger = Ledger.open(db, { readonly: true });
    try {
      return task ? ledger.getTask(task.id) : undefined;
    } finally {
      ledger.close();
    }
  };
  return { code, err: r.stderr(), stored };
}

/** A body well past the chat's 20,000-character message limit, with lines and odd characters. */
const longBody = (chars: number): string => {
  const line = 'Ünïcode line with "quotes", key=value and priority=9 words\n';
  return line
    .repeat(Math.ceil(chars / line.length))
    .slice(0, chars)
    .trimEnd();
};

describe('task add: bodies from a file or standard input, of any sane size', () => {
  it('takes --body-file FILE of 50,000 characters whole, relative to the current folder', async () => {
    const dir = tempDir();
    const body = longBody(50_000);
    writeFileSync(join(dir, 'brief.md'), `${body}\n`);
    const r = await add(['Long brief', '--body-file', 'brief.md'], { cwd: dir });
    expect(r.code, r.err).toBe(0);
    expect(r.stored()!.body).toBe(body);
  });

  it('reads --body - from standard input (not a literal -)', async () => {
    const body = longBody(30_000);
    const r = await add(['From stdin', '--body', '-'], { stdin: `${body}\n\n` });
    expect(r.code, r.err).toBe(0);
    expect(r.stored()!.body).toBe(body);
  });

  it('refuses a body over 1 MiB, a missing body file, and two bodies, exit 2', async () => {
    const big = await add(['Too big', '--body', '-'], { stdin: 'x'.repeat(1_048_577) });
    expect(big.code).toBe(2);
    expect(big.err).toMatch(/the body is 1048577 bytes; the most is 1048576/);
    const missing = await add(['No file', '--body-file', 'nope.md']);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/cannot read the body from .*nope\.md: ENOENT/);
    const both = await add(['Both', '--body', 'a', '--body-file', 'b']);
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/give the body once/);
  });

  it('the real CLI takes a 40,000-character body piped to --body -', async () => {
    const dir = tempDir();
    const body = longBody(40_000);
    const r = await collect(
      spawnCliIn(dir, ['task', 'add', 'Piped', '--body', '-', '--json'], { stdin: body }),
    );
    expect(r.code, r.stderr).toBe(0);
    const ledger = Ledger.open(join(dir, 'swarm.db'), { readonly: true });
    expect(ledger.getTask('T-1')!.body).toBe(body);
    ledger.close();
  }, 60_000);
});

describe('task add: a title is a title', () => {
  it('keeps quotes as they are and never reads words in it as options', async () => {
    const title = `say "hi" to 'bob' key=EVIL priority=9 --review`;
    const r = await add([title]);
    expect(r.code, r.err).toBe(0);
    expect(r.stored()).toMatchObject({
      id: 'T-1',
      title,
      priority: 5,
      review: false,
      idempotencyKey: null,
      body: '',
    });
  });

  it('joins separate words with spaces; a title starting with - goes after --', async () => {
    const r = await add(['--priority', '3', '--', '-x', 'marks', 'the spot']);
    expect(r.code, r.err).toBe(0);
    expect(r.stored()).toMatchObject({ title: '-x marks the spot', priority: 3 });
  });

  it('refuses a line break in the title with the way to give details, creating nothing', async () => {
    const dir = tempDir();
    const r = await add(['first line\nsecond key=EVIL priority=9'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /a title is one line; put the details in --body TEXT, --body-file FILE or --body -/,
    );
    const list = fakeIo({ cwd: dir });
    expect(await main(['task', 'list', '--db', 'swarm.db'], list.io)).toBe(1); // no ledger was created
  });

  it("checks options by the chat's rules, with the chat's messages", async () => {
    expect((await add(['x', '--skills', 'Web Dev'])).err).toMatch(/a skill is a-z, 0-9, _ and -/);
    expect((await add(['x', '--key', '../x'])).err).toMatch(/key/);
    expect((await add(['x', '--timeout', '10 minutes'])).err).toMatch(/timeout must be a duration/);
    expect((await add(['x'.repeat(201)])).err).toMatch(/the title is 201 characters; the most is 200/);
    expect((await add(['x', '--key', 'K-1', '--after', 'K-1'])).err).toMatch(/cannot wait for itself/);
  });

  it('refuses an unknown option with the known ones and the closest match', async () => {
    const prio = await add(['x', '--prio', '3']);
    expect(prio.code).toBe(2);
    expect(prio.err).toMatch(/unknown option --prio; did you mean --priority\?/);
    expect(prio.err).toMatch(/--body-file/);
    expect((await add(['x', '--skils', 'a'])).err).toMatch(/did you mean --skills\?/);
    expect((await add(['x', '--zzz'])).err).not.toMatch(/did you mean/);
    const status = fakeIo();
    expect(await main(['status', '--jsno'], status.io)).toBe(2);
    expect(status.stderr()).toMatch(/unknown option --jsno; did you mean --json\?/);
  });
});
