// Wire JSON is read loosely here: the assertions check its shape.
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startFakeDiscord, type FakeDiscord, type FakeDiscordOptions } from './fake-discord-server.ts';
import { Perm } from './fake-discord-state.ts';

let fake: FakeDiscord | undefined;
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await fake?.close();
  fake = undefined;
});

async function start(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  fake = await startFakeDiscord({
    bots: [
      { name: 'orchestrator', token: 'tok-o' },
      { name: 'blind', token: 'tok-b', messageContentAllowed: false },
    ],
    ...options,
  });
  return fake;
}

async function api(f: FakeDiscord, method: string, path: string, body?: unknown, token = 'tok-o') {
  const res = await fetch(`${f.apiBase}/v10${path}`, {
    method,
    headers: { authorization: `Bot ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

/** Opens a gateway connection and collects every payload it receives. */
async function connect(f: FakeDiscord, token: string, intents: number) {
  const ws = new WebSocket(`${f.gatewayUrl}?v=10&encoding=json`);
  sockets.push(ws);
  const received: any[] = [];
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  ws.on('message', (raw) => received.push(JSON.parse((raw as Buffer).toString())));
  await new Promise((resolve) => ws.once('open', resolve));
  ws.send(JSON.stringify({ op: 2, d: { token, intents, properties: {} } }));
  return { ws, received, closed };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

describe('fake Discord REST', () => {
  it('creates messages with long snowflakes and deduplicates a repeated nonce', async () => {
    const f = await start();
    const first = await api(f, 'POST', `/channels/${f.channelId}/messages`, {
      content: 'hello',
      nonce: 'abc',
      enforce_nonce: true,
      allowed_mentions: { parse: [] },
    });
    const again = await api(f, 'POST', `/channels/${f.channelId}/messages`, {
      content: 'hello',
      nonce: 'abc',
      enforce_nonce: true,
    });
    expect(first.status).toBe(200);
    expect(first.body.id).toMatch(/^\d{17,19}$/);
    expect(again.body.id).toBe(first.body.id);
    expect(f.transcript()).toHaveLength(1);
    expect(f.transcript()[0]!.allowedMentions).toEqual({ parse: [] });
  });

  it('answers with Discord error bodies', async () => {
    const f = await start();
    const long = await api(f, 'POST', `/channels/${f.channelId}/messages`, { content: 'x'.repeat(2_001) });
    expect(long.status).toBe(400);
    expect(long.body.code).toBe(50035);
    expect(long.body.errors.content._errors[0].code).toBe('BASE_TYPE_MAX_LENGTH');
    const unknown = await api(f, 'POST', '/channels/123456789012345678/messages', { content: 'x' });
    expect(unknown.body).toEqual({ message: 'Unknown Channel', code: 10003 });
    const bad = await api(f, 'GET', '/users/@me', undefined, 'wrong');
    expect(bad.status).toBe(401);
  });

  it('enforces channel permissions with 50013', async () => {
    const f = await start({
      channels: [{ name: 'ro', overwrites: [{ role: '@everyone', deny: Perm.SendMessages }] }],
    });
    const res = await api(f, 'POST', `/channels/${f.channelId}/messages`, { content: 'x' });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe(50013);
  });

  it('limits a channel to its window, with headers and a 429 body', async () => {
    const f = await start({ rateLimits: { messages: { limit: 3, windowMs: 60_000 } } });
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof api>> | undefined;
    for (let i = 0; i < 4; i++) {
      last = await api(f, 'POST', `/channels/${f.channelId}/messages`, { content: `m${i}` });
      statuses.push(last.status);
      if (i === 0) expect(last.headers.get('x-ratelimit-remaining')).toBe('2');
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last!.headers.get('x-ratelimit-bucket')).toBeTruthy();
    expect(last!.body.retry_after).toBeGreaterThan(0);
    expect(f.counters.served429).toBe(1);
    // Another bot has its own buckets.
    expect(
      (await api(f, 'POST', `/channels/${f.channelId}/messages`, { content: 'b' }, 'tok-b')).status,
    ).toBe(200);
  });

  it('pages history newest first and starts a thread whose id is the message id', async () => {
    const f = await start();
    const ids = [f.post('alice', 'a'), f.post('alice', 'b'), f.post('alice', 'c')];
    const after = await api(f, 'GET', `/channels/${f.channelId}/messages?after=${ids[0]}&limit=100`);
    expect(after.body.map((m: any) => m.content)).toEqual(['c', 'b']);
    const before = await api(f, 'GET', `/channels/${f.channelId}/messages?before=${ids[2]}&limit=1`);
    expect(before.body.map((m: any) => m.content)).toEqual(['b']);
    const thread = await api(f, 'POST', `/channels/${f.channelId}/messages/${ids[1]}/threads`, {
      name: 'T-1 · b',
    });
    expect(thread.body.id).toBe(ids[1]);
    const twice = await api(f, 'POST', `/channels/${f.channelId}/messages/${ids[1]}/threads`, {
      name: 'T-1 · b',
    });
    expect(twice.body.code).toBe(160004);
    await api(f, 'PATCH', `/channels/${ids[1]}`, { archived: true });
    expect(f.threads()).toEqual([{ id: ids[1], name: 'T-1 · b', parentId: f.channelId, archived: true }]);
  });

  it('lets a test act after a message exists but before its answer is sent', async () => {
    const f = await start();
    const seen: number[] = [];
    f.beforeReply = (record) => {
      if (record.method === 'POST') seen.push(f.transcript().length);
    };
    await api(f, 'POST', `/channels/${f.channelId}/messages`, { content: 'x' });
    expect(seen).toEqual([1]);
  });

  it('records unknown routes and forced 429s', async () => {
    const f = await start();
    expect((await api(f, 'GET', '/nope')).status).toBe(404);
    expect(f.unknownRoutes).toEqual(['GET /api/v10/nope']);
    f.unknownRoutes.length = 0;
    f.force429({ retryAfterMs: 1_500, global: true });
    const res = await api(f, 'GET', '/users/@me');
    expect(res.status).toBe(429);
    expect(res.headers.get('x-ratelimit-global')).toBe('true');
    expect(f.counters.forced429).toBe(1);
  });
});

describe('fake Discord gateway', () => {
  it('identifies, sends the guild and dispatches messages, blanking content without the intent', async () => {
    const f = await start();
    const full = await connect(f, 'tok-o', 1 | (1 << 9) | (1 << 15));
    const blind = await connect(f, 'tok-b', 1 | (1 << 9));
    await until(
      () =>
        full.received.some((p) => p.t === 'GUILD_CREATE') &&
        blind.received.some((p) => p.t === 'GUILD_CREATE'),
    );
    const ready = full.received.find((p) => p.t === 'READY');
    expect(ready.d.application.id).toBeTruthy();
    expect(full.received[0].op).toBe(10);
    f.post('alice', 'secret text');
    await until(
      () =>
        blind.received.some((p) => p.t === 'MESSAGE_CREATE') &&
        full.received.some((p) => p.t === 'MESSAGE_CREATE'),
    );
    expect(full.received.find((p) => p.t === 'MESSAGE_CREATE').d.content).toBe('secret text');
    expect(blind.received.find((p) => p.t === 'MESSAGE_CREATE').d.content).toBe('');
  });

  it('closes with 4014 when a bot asks for MessageContent it is not allowed', async () => {
    const f = await start();
    const conn = await connect(f, 'tok-b', 1 | (1 << 9) | (1 << 15));
    expect(await conn.closed).toBe(4014);
  });

  it('replays missed events on RESUME and answers op 9 once the session is invalidated', async () => {
    const f = await start();
    const first = await connect(f, 'tok-o', 1 | (1 << 9) | (1 << 15));
    await until(() => first.received.some((p) => p.t === 'GUILD_CREATE'));
    const sessionId = first.received.find((p) => p.t === 'READY').d.session_id;
    f.dropGateway();
    expect(await first.closed).toBe(4000);
    f.post('alice', 'while away');
    const second = new WebSocket(`${f.gatewayUrl}?v=10`);
    sockets.push(second);
    const got: any[] = [];
    second.on('message', (raw) => got.push(JSON.parse((raw as Buffer).toString())));
    await new Promise((r) => second.once('open', r));
    second.send(JSON.stringify({ op: 6, d: { token: 'tok-o', session_id: sessionId, seq: 2 } }));
    await until(() => got.some((p) => p.t === 'RESUMED'));
    expect(got.filter((p) => p.t === 'MESSAGE_CREATE').map((p) => p.d.content)).toEqual(['while away']);
    f.dropGateway({ invalidate: true });
    const third = new WebSocket(`${f.gatewayUrl}?v=10`);
    sockets.push(third);
    const got3: any[] = [];
    third.on('message', (raw) => got3.push(JSON.parse((raw as Buffer).toString())));
    await new Promise((r) => third.once('open', r));
    third.send(JSON.stringify({ op: 6, d: { token: 'tok-o', session_id: sessionId, seq: 3 } }));
    await until(() => got3.some((p) => p.op === 9));
  });

  it('goes unreachable and comes back on the same port', async () => {
    const f = await start();
    const base = f.apiBase;
    await f.goOffline();
    await expect(fetch(`${base}/v10/users/@me`)).rejects.toThrow();
    await f.goOnline();
    expect(f.apiBase).toBe(base);
    expect((await api(f, 'GET', '/users/@me')).status).toBe(200);
  });
});
