import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createConsoleChannel,
  type ConsoleChannelDeps,
  type ConsoleChannelOptions,
} from '../../../adapters/console/console-channel.ts';
import type { CursorStore, IncomingMessage } from '../../../src/chat/chat-port.ts';
import { waitFor } from '../../contract/message-collector.ts';

let dir: string;
const opened: { stop(): Promise<void> }[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'console-channel-'));
});
afterEach(async () => {
  for (const channel of opened.splice(0)) await channel.stop();
  await rm(dir, { recursive: true, force: true });
});

function setup(
  options: ConsoleChannelOptions = {},
  deps: Partial<ConsoleChannelDeps> & { tty?: boolean } = {},
) {
  const input = new PassThrough();
  const output = Object.assign(new PassThrough(), { isTTY: deps.tty ?? false });
  output.setEncoding('utf8');
  let printed = '';
  output.on('data', (chunk: string) => {
    printed += chunk;
  });
  const channel = createConsoleChannel(
    { attachmentDir: dir, utc: true, ...options },
    { input, output, env: {}, ...deps },
  );
  opened.push(channel);
  const received: IncomingMessage[] = [];
  const start = () =>
    channel.start(async (m) => {
      received.push(m);
    });
  return { channel, input, output, received, start, printed: () => printed };
}

describe('console channel', () => {
  it('keeps working after its input ends, without exiting the process', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never);
    try {
      const { channel, input, received, start, printed } = setup();
      await start();
      input.end('/status\n');
      await waitFor('the last line', () => received[0], 5_000);
      await new Promise((resolve) => setImmediate(resolve));
      await channel.send({ text: 'still here', nonce: 'n1' });
      expect(printed()).toContain('swarm: still here');
      expect(channel.isStarted).toBe(true);
      expect(exit).not.toHaveBeenCalled();
    } finally {
      exit.mockRestore();
    }
  });

  it('colours only a TTY without NO_COLOR', async () => {
    const tty = setup({}, { tty: true });
    const noColor = setup({}, { tty: true, env: { NO_COLOR: '1' } });
    const pipe = setup({}, { tty: false });
    for (const s of [tty, noColor, pipe]) await s.channel.send({ heading: 'H', text: 'x', nonce: 'n' });
    expect(tty.printed()).toContain('\x1b[');
    expect(noColor.printed()).not.toContain('\x1b');
    expect(pipe.printed()).not.toContain('\x1b');
  });

  it('neutralises control sequences from workers and people but delivers what the person typed', async () => {
    const { channel, input, received, start, printed } = setup({ user: { id: 'u1', name: 'Eve\x1b[31m' } });
    await start();
    await channel.send({
      speaker: 'agent\x1b]0;pwned\x07',
      heading: '\x1b[2J',
      text: 'a\x1b[1;1Hb\r\x9b',
      nonce: 'n',
    });
    input.write('hi \x1b[5m\n');
    await waitFor('the typed line', () => received[0], 5_000);
    expect(printed()).not.toMatch(/[\x1b\x07\r\x9b]/);
    expect(printed()).toContain('a␛[1;1Hb␍\ufffd');
    expect(received[0]).toMatchObject({ text: 'hi \x1b[5m', author: { id: 'u1', isBot: false } });
  });

  it('takes the user name from $USER and the id "console" by default', async () => {
    const { input, received, start } = setup({}, { env: { USER: 'dana' } });
    await start();
    input.write('hello\n');
    const got = await waitFor('delivery', () => received[0], 5_000);
    expect(got.author).toEqual({ id: 'console', name: 'dana', isBot: false });
    expect(got.channelId).toBe('console');
  });

  it('does not echo lines typed at a terminal', async () => {
    const input = Object.assign(new PassThrough(), { isTTY: true });
    const output = new PassThrough();
    const chunks: string[] = [];
    output.on('data', (c: Buffer) => chunks.push(c.toString()));
    const channel = createConsoleChannel({ utc: true }, { input, output, env: {} });
    opened.push(channel);
    const received: IncomingMessage[] = [];
    await channel.start(async (m) => {
      received.push(m);
    });
    input.write('typed\n');
    await waitFor('delivery', () => received[0], 5_000);
    expect(chunks.join('')).toBe('');
  });

  it('writes attachments inside the attachment directory under a safe name and prints the path', async () => {
    const { channel, printed } = setup();
    const sent = await channel.send({
      text: 'x',
      nonce: 'n',
      attachment: { fileName: '../../etc/pass wd', content: Buffer.from('secret') },
    });
    const files = await readdir(dir);
    expect(files).toEqual([`${sent.messageId}-pass_wd`]);
    expect(await readFile(path.join(dir, files[0]!), 'utf8')).toBe('secret');
    expect(printed()).toContain(`📎 ../../etc/pass wd → ${path.join(dir, files[0]!)}`);
  });

  it('refuses oversized text and attachments as permanent errors', async () => {
    const { channel } = setup();
    expect(channel.limits).toEqual({ maxTextLength: 4000, maxAttachmentBytes: 10 * 1024 * 1024 });
    await expect(channel.send({ heading: 'h', text: 'x'.repeat(4000), nonce: 'n' })).rejects.toMatchObject({
      permanent: true,
    });
    const big = Buffer.alloc(10 * 1024 * 1024 + 1);
    await expect(
      channel.send({ text: 'x', nonce: 'n', attachment: { fileName: 'a', content: big } }),
    ).rejects.toMatchObject({ permanent: true });
  });

  it('numbers messages on from the cursor store across runs', async () => {
    const values = new Map<string, string>();
    const cursors: CursorStore = { get: (k) => values.get(k), set: (k, v) => void values.set(k, v) };
    const first = setup({}, { cursors });
    expect((await first.channel.send({ text: 'a', nonce: 'n' })).messageId).toBe('1');
    expect((await first.channel.send({ text: 'b', nonce: 'n' })).messageId).toBe('2');
    const second = setup({}, { cursors });
    expect((await second.channel.send({ text: 'c', nonce: 'n' })).messageId).toBe('3');
  });

  it('gives a reply to a detail message the task thread', async () => {
    const { channel, input, received, start } = setup();
    await start();
    const main = await channel.send({ heading: 'T-1 blocked', text: 'q', nonce: 'n' });
    const detail = await channel.send({
      text: 'which colour?',
      under: { messageId: main.messageId, taskId: 'T-1', title: 't' },
      nonce: 'n',
    });
    input.write(`>#${detail.messageId} red\n`);
    const got = await waitFor('delivery', () => received[0], 5_000);
    expect(got).toMatchObject({ text: 'red', replyToMessageId: detail.messageId, threadId: main.messageId });
  });

  it('prints an edit of a message from an earlier run instead of failing', async () => {
    const { channel, printed } = setup();
    await channel.edit({ messageId: '41' }, { heading: 'T-9 done', text: 'ok' });
    expect(printed()).toMatch(/#41 ✎ swarm ▸ T-9 done\n/);
  });

  it('delivers a /task typed over several lines as one message (piped input: after a pause)', async () => {
    const { input, received, start, printed } = setup({ taskBodyIdleMs: 50 });
    await start();
    input.write('/task Fix the login skills=web\nSafari shows a blank page.\nSteps: sign in.\n');
    const got = await waitFor('the task', () => received[0], 5_000);
    expect(got.text).toBe('/task Fix the login skills=web\nSafari shows a blank page.\nSteps: sign in.');
    input.write('/task Second\nits body\n\n/status\n');
    await waitFor('two more', () => received[2], 5_000);
    expect(received.map((m) => m.text)).toEqual([got.text, '/task Second\nits body', '/status']);
    expect(printed()).toContain('<you> /task Second\n');
  });

  it('at a terminal, says how to end the body and waits for the empty line', async () => {
    const input = Object.assign(new PassThrough(), { isTTY: true });
    const output = new PassThrough();
    const chunks: string[] = [];
    output.on('data', (c: Buffer) => chunks.push(c.toString()));
    const channel = createConsoleChannel({ utc: true }, { input, output, env: {} });
    opened.push(channel);
    const received: IncomingMessage[] = [];
    await channel.start(async (m) => {
      received.push(m);
    });
    input.write('/task A\nline one\n');
    await waitFor(
      'the hint',
      () => (chunks.join('').includes('an empty line sends the task') ? true : undefined),
      5_000,
    );
    input.write('line two\n\n');
    const got = await waitFor('the task', () => received[0], 5_000);
    expect(got.text).toBe('/task A\nline one\nline two');
  });

  const TASK = {
    heading: '🔧 T-1 · Fix',
    text: 'working: coder (attempt 1)\npriority 5 · skills web\nThe body.',
  };
  const progress = (pct: number) => ({
    ...TASK,
    text: TASK.text.replace('(attempt 1)', `(attempt 1) · ${pct}%`),
  });

  it('prints a state change as one line, and the whole message when more than its status changed', async () => {
    const { channel, printed } = setup({}, { clock: { now: () => 0 } });
    const sent = await channel.send({
      heading: '⏳ T-1 · Fix',
      text: 'queued\npriority 5 · skills web\nThe body.',
      nonce: 'n',
    });
    const before = printed().length;
    await channel.edit(sent, TASK);
    expect(printed().slice(before)).toBe(
      '[00:00:00] #1 ✎ swarm ▸ 🔧 T-1 · Fix │ working: coder (attempt 1)\n',
    );
    const mid = printed().length;
    await channel.edit(sent, { ...TASK, text: TASK.text.replace('priority 5', 'priority 9') });
    expect(printed().slice(mid)).toBe(
      [
        '[00:00:00] #1 ✎ swarm ▸ 🔧 T-1 · Fix',
        '           │ working: coder (attempt 1)',
        '           │ priority 9 · skills web',
        '           │ The body.',
        '',
      ].join('\n'),
    );
  });

  it('rewrites a progress update in place on a terminal, and only while it is the last line', async () => {
    const { channel, printed } = setup({}, { tty: true, env: { NO_COLOR: '1' } });
    const sent = await channel.send({ ...TASK, nonce: 'n' });
    await channel.edit(sent, progress(10));
    expect(printed()).not.toContain('\x1b[1A');
    await channel.edit(sent, progress(20));
    await channel.edit(sent, progress(30));
    expect(printed().match(/\x1b\[1A\r\x1b\[2K/g)).toHaveLength(2);
    await channel.send({ text: 'something else', nonce: 'n' });
    const mark = printed().length;
    await channel.edit(sent, progress(40));
    expect(printed().slice(mark)).not.toContain('\x1b[1A');
    expect(printed().slice(mark)).toMatch(/✎ swarm ▸ 🔧 T-1 · Fix │ working: coder \(attempt 1\) · 40%\n$/);
  });

  it('without a terminal, prints at most one progress update per interval and then the newest', async () => {
    let now = 1_000_000;
    const { channel, printed } = setup({ progressIntervalMs: 200 }, { clock: { now: () => now } });
    const sent = await channel.send({ ...TASK, nonce: 'n' });
    for (let pct = 1; pct <= 30; pct++) await channel.edit(sent, progress(pct));
    const count = () => (printed().match(/✎/g) ?? []).length;
    expect(count()).toBe(1);
    expect(printed()).toContain('· 1%');
    // The newest waits for the rest of the interval; nothing in between is printed.
    await waitFor('the newest update', () => (printed().includes('· 30%') ? true : undefined), 5_000);
    expect(count()).toBe(2);
    expect(printed()).not.toContain('· 2%');
    // A state change is printed at once, and drops a waiting progress update.
    now += 50;
    await channel.edit(sent, progress(31));
    await channel.edit(sent, { heading: '✅ T-1 · Fix', text: 'done\npriority 5 · skills web\nThe body.' });
    expect(printed()).toMatch(/✎ swarm ▸ ✅ T-1 · Fix │ done\n$/);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(printed()).not.toContain('· 31%');
  });
});
