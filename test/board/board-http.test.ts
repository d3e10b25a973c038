import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveBoardAccess } from '../../src/board/board-access.ts';
import { BOARD_PUBLIC_DIR } from '../../src/board/board-assets.ts';
import { main } from '../../src/cli/main.ts';
import { boardSchema } from '../../src/config/config-schema.ts';
import { parseCommand } from '../../src/commands/command-grammar.ts';
import { queued, tempDir, tempLedger } from '../support/temp-ledger.ts';
import { changeIds, readSse, testBoard, TOKEN } from './board-fixture.ts';

const bearer = { authorization: `Bearer ${TOKEN}` };
const json = { 'content-type': 'application/json' };

function cliIo(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), env }, out, err };
}

/** A cookie session on a token board: the cookie and its CSRF token. */
async function session(base: string): Promise<{ cookie: string; csrf: string }> {
  const login = await fetch(`${base}/?token=${TOKEN}`, { redirect: 'manual' });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  const s = (await (await fetch(`${base}/api/session`, { headers: { cookie } })).json()) as { csrf: string };
  return { cookie, csrf: s.csrf };
}

describe('board access', () => {
  it('refuses to start open to the network: a non-loopback host needs a token, and the token must be set and long', async () => {
    const wide = boardSchema.parse({ host: '0.0.0.0' });
    expect(() => resolveBoardAccess(wide, {})).toThrow(/board\.tokenEnv.*or set board\.host to 127\.0\.0\.1/);
    const named = boardSchema.parse({ host: '0.0.0.0', tokenEnv: 'BOARD_TOKEN' });
    expect(() => resolveBoardAccess(named, {})).toThrow(/BOARD_TOKEN, which is not set/);
    expect(() => resolveBoardAccess(named, { BOARD_TOKEN: 'short' })).toThrow(/shorter than 16/);
    expect(resolveBoardAccess(named, { BOARD_TOKEN: TOKEN })).toMatchObject({
      loopback: false,
      token: TOKEN,
    });
    expect(resolveBoardAccess(boardSchema.parse({}), {})).toMatchObject({ loopback: true, token: undefined });

    // `up` says so before it opens anything: no ledger is created, no channel connected.
    const dir = tempDir();
    const config = join(dir, 'chat-swarm.json');
    writeFileSync(config, JSON.stringify({ board: { host: '0.0.0.0' } }));
    const db = join(dir, 'swarm.db');
    const run = cliIo();
    expect(await main(['up', '--config', config, '--db', db], run.io)).toBe(2);
    expect(run.err.join('\n')).toMatch(/config error: board\.host is 0\.0\.0\.0.*board\.tokenEnv/);
    expect(existsSync(db)).toBe(false);
  });

  it('a token board answers 401 without the token or with a wrong one, and never echoes it', async () => {
    const ledger = tempLedger();
    ledger.createTask({ title: 'secret plans' }, 'test');
    const board = await testBoard(ledger, { token: TOKEN, tokenEnv: 'BOARD_TOKEN' });
    for (const path of ['/', '/api/board', '/api/tasks/T-1', '/api/events', '/api/audit']) {
      const none = await fetch(`${board.base}${path}`);
      expect(none.status, path).toBe(401);
      const body = await none.text();
      expect(body).not.toContain('secret plans');
      expect(body).toContain('BOARD_TOKEN');
      const wrong = await fetch(`${board.base}${path}`, {
        headers: { authorization: 'Bearer nope-nope-nope' },
      });
      expect(wrong.status, path).toBe(401);
    }
    const ok = await fetch(`${board.base}/api/board`, { headers: bearer });
    expect(ok.status).toBe(200);
    expect(await ok.text()).not.toContain(TOKEN);

    // The one-time ?token= becomes a signed HttpOnly, SameSite=Strict cookie and leaves the address.
    const login = await fetch(`${board.base}/?token=${TOKEN}`, { redirect: 'manual' });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/');
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toContain(TOKEN);
    const page = await fetch(`${board.base}/`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(page.status).toBe(200);
    expect(await page.text()).not.toContain(TOKEN);
    const forged = await fetch(`${board.base}/api/board`, {
      headers: { cookie: `chat_swarm_board_${board.port}=${'a'.repeat(32)}.x` },
    });
    expect(forged.status).toBe(401);
  });

  it('refuses a Host header that is not loopback (DNS rebinding) and sends strict security headers', async () => {
    const board = await testBoard(tempLedger());
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${board.base}/api/board`, { headers: { host: 'evil.example:80' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(421);
    const res = await fetch(`${board.base}/`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('the front end has no inline script, no inline handler and never writes markup from data', () => {
    const html = readFileSync(join(BOARD_PUBLIC_DIR, 'index.html'), 'utf8');
    for (const tag of html.match(/<script\b[^>]*>/g) ?? []) expect(tag).toMatch(/\ssrc="\/assets\//);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    for (const file of ['app.js', 'api.js', 'dom.js', 'render-board.js', 'task-page.js']) {
      const js = readFileSync(join(BOARD_PUBLIC_DIR, file), 'utf8');
      expect(js, file).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
    }
  });
});

describe('board controls', () => {
  it('refuses controls without the token, on a read-only board, and cross-site; nothing changes', async () => {
    const ledger = tempLedger();
    ledger.createTask({ title: 'keep me' }, 'test');
    const before = ledger.lastEventSeq();
    const cancel = JSON.stringify({ text: '/cancel T-1' });

    const tokenless = await testBoard(ledger);
    const noToken = await fetch(`${tokenless.base}/api/command`, {
      method: 'POST',
      headers: json,
      body: cancel,
    });
    expect(noToken.status).toBe(403);
    expect(((await noToken.json()) as { error: string }).error).toMatch(/need the access token/);

    const readOnly = await testBoard(ledger, { token: TOKEN, controls: 'off' });
    const off = await fetch(`${readOnly.base}/api/command`, {
      method: 'POST',
      headers: { ...json, ...bearer },
      body: cancel,
    });
    expect(off.status).toBe(403);

    const board = await testBoard(ledger, { token: TOKEN });
    expect(
      (await fetch(`${board.base}/api/command`, { method: 'POST', headers: json, body: cancel })).status,
    ).toBe(401);
    const { cookie, csrf } = await session(board.base);
    const attempts: Record<string, string>[] = [
      { cookie }, // no CSRF token
      { cookie, 'x-csrf-token': 'forged' },
      { cookie, 'x-csrf-token': csrf, 'sec-fetch-site': 'cross-site' },
      { cookie, 'x-csrf-token': csrf, origin: 'http://evil.example' },
    ];
    for (const headers of attempts) {
      const res = await fetch(`${board.base}/api/command`, {
        method: 'POST',
        headers: { ...json, ...headers },
        body: cancel,
      });
      expect(res.status, JSON.stringify(headers)).toBe(403);
    }
    expect(ledger.lastEventSeq()).toBe(before);
    expect(ledger.getTask('T-1')?.status).toBe('queued');

    // The same request from the board's own page goes through, as the board's person.
    const ok = await fetch(`${board.base}/api/command`, {
      method: 'POST',
      headers: { ...json, cookie, 'x-csrf-token': csrf, 'sec-fetch-site': 'same-origin', origin: board.base },
      body: cancel,
    });
    expect(ok.status).toBe(200);
    expect(ledger.getTask('T-1')?.status).toBe('cancelled');
    const [event] = ledger.events({ afterSeq: before });
    expect(event).toMatchObject({ type: 'task_cancelled', actor: 'board [127.0.0.1]' });
    // Mirrored to the chat by the normal outbox.
    const rows = queued(ledger)
      .core.sql('SELECT COUNT(*) AS n FROM outbox WHERE event_seq = ?')
      .get(event!.seq) as {
      n: number;
    };
    expect(rows.n).toBeGreaterThan(0);
  });

  it('answers malformed or oversized requests with a clear 4xx and the chat’s own messages, changing nothing', async () => {
    const ledger = tempLedger();
    ledger.createTask({ title: 'one' }, 'test');
    const board = await testBoard(ledger, { token: TOKEN });
    const before = ledger.lastEventSeq();
    const post = (body: string, headers: Record<string, string> = json) =>
      fetch(`${board.base}/api/command`, { method: 'POST', headers: { ...headers, ...bearer }, body });

    const cases: [string, Record<string, string>, number, RegExp][] = [
      ['{"text": "/approve T-1"', json, 400, /malformed JSON/],
      ['{"text": 5}', json, 400, /malformed request/],
      ['{"text": "/cancel T-1", "as": "admin"}', json, 400, /malformed request/],
      ['[]', json, 400, /malformed request/],
      ['/cancel T-1', { 'content-type': 'text/plain' }, 415, /JSON/],
      ['{"text": "hello there"}', json, 400, /not a command/],
      ['{"text": "/approve T-404"}', json, 404, /no task T-404/],
      ['{"text": "/approve T-1"}', json, 409, /review|not/],
      [JSON.stringify({ text: `/note T-1 ${'x'.repeat(200_000)}` }), json, 413, /too large/],
    ];
    for (const [body, headers, status, message] of cases) {
      const res = await post(body, headers);
      expect(res.status, body.slice(0, 40)).toBe(status);
      expect(((await res.json()) as { error: string }).error, body.slice(0, 40)).toMatch(message);
    }
    // A grammar error carries exactly what the chat would reply.
    const bad = await post(JSON.stringify({ text: '/priority T-1 high' }));
    expect(bad.status).toBe(400);
    const chat = parseCommand('/priority T-1 high');
    expect(chat.kind).toBe('error');
    expect(await bad.json()).toEqual({
      error: chat.kind === 'error' ? chat.message : '',
      usage: chat.kind === 'error' ? chat.usage : '',
    });
    expect(ledger.lastEventSeq()).toBe(before);

    const id = await fetch(`${board.base}/api/tasks/..%2Fetc`, { headers: bearer });
    expect(id.status).toBe(400);
    expect((await fetch(`${board.base}/api/events?after=abc`, { headers: bearer })).status).toBe(400);
  });
});

describe('board live feed', () => {
  it('replays what a page missed (after=, Last-Event-ID) with no gap or repeat, then follows live writes', async () => {
    const ledger = tempLedger();
    for (let i = 1; i <= 5; i++) ledger.createTask({ title: `task ${i}` }, 'test');
    const board = await testBoard(ledger, { token: TOKEN });
    const first = await readSse(`${board.base}/api/events?after=2`, bearer, (m) => changeIds(m).length >= 3);
    expect(changeIds(first)).toEqual([3, 4, 5]);
    const card = JSON.parse(first.find((m) => m.id === '5')!.data) as {
      task: { id: string; status: string };
    };
    expect(card.task).toMatchObject({ id: 'T-5', status: 'queued' });

    // A reconnect sends Last-Event-ID; it wins over the URL's after= (the browser keeps the old URL).
    const writer = setTimeout(() => ledger.createTask({ title: 'live one' }, 'test'), 200);
    const resumed = await readSse(
      `${board.base}/api/events?after=0`,
      { ...bearer, 'last-event-id': '4' },
      (m) => changeIds(m).includes(6),
    );
    clearTimeout(writer);
    expect(changeIds(resumed)).toEqual([5, 6]);
    const live = JSON.parse(resumed.find((m) => m.id === '6')!.data) as { task: { title: string } };
    expect(live.task.title).toBe('live one');
    // Pulses (agents, mirror, waiting reasons) carry no id, so Last-Event-ID is always an event number.
    expect(resumed.filter((m) => m.event === 'pulse').every((m) => m.id === undefined)).toBe(true);
  });

  it('tells a page that is too far behind to reload instead of replaying everything', async () => {
    const ledger = tempLedger();
    for (let i = 1; i <= 12; i++) ledger.createTask({ title: `task ${i}` }, 'test');
    const board = await testBoard(ledger, {}, { stream: { maxReplay: 10 } });
    const messages = await readSse(`${board.base}/api/events?after=0`, {}, (m) =>
      m.some((x) => x.event === 'reset'),
    );
    expect(changeIds(messages)).toEqual([]);
    expect(JSON.parse(messages.find((m) => m.event === 'reset')!.data)).toEqual({ seq: 12 });
  });
});

describe('board artifacts', () => {
  it('serves a task’s artifact from the work folders only: not a file outside, not through a link', async () => {
    const work = tempDir();
    const outside = join(tempDir(), 'secret.txt');
    writeFileSync(outside, 'not for the board');
    const folder = join(work, 'tasks', 'T-1', 'attempt-1');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'logo.svg'), '<svg/>');
    symlinkSync(outside, join(folder, 'link.txt'));
    const ledger = tempLedger();
    ledger.createTask({ title: 'draw' }, 'test');
    const claim = ledger.claimNext({ id: 'a1', skills: [] });
    if (claim.kind !== 'claimed') throw new Error('no claim');
    // Records as a ledger might hold them (a tampered or older one): the board checks each path itself.
    const record = (path: string, text: string) => ({
      name: basename(path),
      path,
      bytes: Buffer.byteLength(text),
      sha256: createHash('sha256').update(text).digest('hex'),
    });
    ledger.complete({ taskId: 'T-1', attempt: 1, agentId: 'a1' }, 'drawn', [
      record(join(folder, 'logo.svg'), '<svg/>'),
      record(outside, 'not for the board'),
      record(join(folder, 'link.txt'), 'not for the board'),
      record('/etc/passwd', ''),
    ]);
    const board = await testBoard(ledger, {}, { workDir: work });
    const detail = (await (await fetch(`${board.base}/api/tasks/T-1`)).json()) as {
      artifacts: { url: string; name: string }[];
    };
    expect(detail.artifacts.map((a) => a.name)).toEqual(['logo.svg', 'secret.txt', 'link.txt', 'passwd']);
    expect(JSON.stringify(detail)).not.toContain(work); // no paths on the page
    const [logo, secret, link, passwd] = detail.artifacts;
    const got = await fetch(`${board.base}${logo!.url}`);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-disposition')).toMatch(/^attachment; filename="logo.svg"/);
    expect(got.headers.get('content-type')).toBe('application/octet-stream');
    expect(await got.text()).toBe('<svg/>');
    for (const a of [secret!, link!, passwd!]) {
      const res = await fetch(`${board.base}${a.url}`);
      expect(res.status, a.name).toBe(403);
      expect(await res.text()).not.toContain('not for the board');
    }
    expect((await fetch(`${board.base}/api/tasks/T-1/artifacts/999/0`)).status).toBe(404);
  });
});
