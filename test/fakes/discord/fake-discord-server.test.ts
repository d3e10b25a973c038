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

  it('keeps rate-limit windows through an outage, as Discord keeps counting while a client is cut off', async () => {
    const clock = 1_700_000_000_000;
    const f = await start({ now: () => clock, rateLimits: { messages: { limit: 1, windowMs: 5_000 } } });
    expect((await api(f, 'POST', `/channels/${f.channelId}/messages`, { content: 'a' })).status).toBe(200);
    await f.goOffline();
    await f.goOnline();
    const after = await api(f, 'POST', `/channels/${f.channelId}/messages`, { content: 'b' });
    expect(after.status).toBe(429);
    expect(after.body.global).toBe(false);
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

  it('refuses a burst over the global per-second limit with a global 429, per bot', async () => {
    // A hand-driven clock keeps the whole burst inside one 1 s window however slow the machine is.
    let clock = 1_700_000_000_000;
    const f = await start({
      now: () => clock,
      rateLimits: { globalPerSecond: 3, other: { limit: 100, windowMs: 1_000 } },
    });
    // Different routes, so no single route bucket is what runs out.
    const paths = [
      '/users/@me',
      `/channels/${f.channelId}`,
      '/gateway/bot',
      '/users/@me',
      '/applications/@me',
    ];
    const burst = await Promise.all(paths.map((p) => api(f, 'GET', p)));
    const refused = burst.filter((r) => r.status === 429);
    expect(burst.filter((r) => r.status === 200)).toHaveLength(3);
    expect(refused).toHaveLength(2);
    for (const r of refused) {
      expect(r.headers.get('x-ratelimit-global')).toBe('true');
      expect(r.headers.get('x-ratelimit-scope')).toBe('global');
      expect(Number(r.headers.get('retry-after'))).toBe(1);
      expect(r.body).toMatchObject({ message: expect.any(String), retry_after: 1, global: true });
    }
    expect(f.counters.served429).toBe(2);
    expect(f.counters.forced429).toBe(0);
    // The limit is per bot: another bot is not held back by the first one's burst.
    expect((await api(f, 'GET', '/users/@me', undefined, 'tok-b')).status).toBe(200);
    clock += 999;
    expect((await api(f, 'GET', '/users/@me')).status).toBe(429);
    clock += 1;
    expect((await api(f, 'GET', '/users/@me')).status).toBe(200);
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

  it('answers a heartbeat (op 1) with a heartbeat ACK (op 11)', async () => {
    const f = await start();
    const conn = await connect(f, 'tok-o', 1 | (1 << 9));
    await until(() => conn.received.some((p) => p.t === 'READY'));
    expect(conn.received.some((p) => p.op === 11)).toBe(false);
    conn.ws.send(JSON.stringify({ op: 1, d: 1 }));
    await until(() => conn.received.some((p) => p.op === 11));
    expect(conn.received.filter((p) => p.op === 11)).toEqual([{ op: 11, d: null }]);
  });

  it('dispatches MESSAGE_UPDATE after a REST edit and THREAD_CREATE after a thread is started', async () => {
    const f = await start();
    const full = await connect(f, 'tok-o', 1 | (1 << 9) | (1 << 15));
    const blind = await connect(f, 'tok-b', 1 | (1 << 9));
    await until(() => [full, blind].every((c) => c.received.some((p) => p.t === 'GUILD_CREATE')));
    const created = await api(f, 'POST', `/channels/${f.channelId}/messages`, { content: 'before' });
    const id: string = created.body.id;
    const edited = await api(f, 'PATCH', `/channels/${f.channelId}/messages/${id}`, { content: 'after' });
    expect(edited.status).toBe(200);
    await until(() => [full, blind].every((c) => c.received.some((p) => p.t === 'MESSAGE_UPDATE')));
    const update = full.received.find((p) => p.t === 'MESSAGE_UPDATE');
    // discord.js finds the cached message by channel and id, and reads the edit time and author.
    expect(update.d).toMatchObject({
      id,
      channel_id: f.channelId,
      guild_id: f.guildId,
      content: 'after',
      author: { id: f.bot('orchestrator').id },
    });
    expect(Date.parse(update.d.edited_timestamp)).not.toBeNaN();
    expect(update.s).toBeGreaterThan(full.received.find((p) => p.t === 'MESSAGE_CREATE').s);
    // Without the MessageContent intent another bot's edit arrives with the text blanked.
    expect(blind.received.find((p) => p.t === 'MESSAGE_UPDATE').d.content).toBe('');

    const thread = await api(f, 'POST', `/channels/${f.channelId}/messages/${id}/threads`, { name: 'T-7' });
    expect(thread.status).toBe(201);
    await until(() => full.received.some((p) => p.t === 'THREAD_CREATE'));
    const threadCreate = full.received.find((p) => p.t === 'THREAD_CREATE');
    // discord.js needs the type (11 = public thread), guild and parent to build a ThreadChannel.
    expect(threadCreate.d).toMatchObject({
      id,
      type: 11,
      guild_id: f.guildId,
      parent_id: f.channelId,
      name: 'T-7',
      owner_id: f.bot('orchestrator').id,
      newly_created: true,
      thread_metadata: { archived: false, locked: false },
    });
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

  it('cuts one bot off (REST dropped, gateway dead, session kept) and lets it resume afterwards', async () => {
    const f = await start({
      bots: [
        { name: 'orchestrator', token: 'tok-o' },
        { name: 'agent-a', token: 'tok-a' },
      ],
    });
    const intents = 1 | (1 << 9) | (1 << 15);
    const a = await connect(f, 'tok-a', intents);
    await until(() => a.received.some((p) => p.t === 'GUILD_CREATE'));
    const sessionId = a.received.find((p) => p.t === 'READY').d.session_id;
    const seq = Math.max(...a.received.map((p) => p.s ?? 0));
    f.cutOffBot('agent-a');
    await expect(api(f, 'GET', '/users/@me', undefined, 'tok-a')).rejects.toThrow();
    expect((await api(f, 'GET', '/users/@me')).status).toBe(200);
    // The open socket is dead: no event, no heartbeat ACK.
    a.ws.send(JSON.stringify({ op: 1, d: seq }));
    f.post('alice', 'while cut off');
    await new Promise((r) => setTimeout(r, 200));
    expect(a.received.filter((p) => p.t === 'MESSAGE_CREATE' || p.op === 11)).toEqual([]);
    // A new connection resuming as it gets HELLO and nothing else.
    const b = new WebSocket(`${f.gatewayUrl}?v=10`);
    sockets.push(b);
    const got: any[] = [];
    const bClosed = new Promise<number>((resolve) => b.on('close', (code) => resolve(code)));
    b.on('message', (raw) => got.push(JSON.parse((raw as Buffer).toString())));
    await new Promise((r) => b.once('open', r));
    b.send(JSON.stringify({ op: 6, d: { token: 'tok-a', session_id: sessionId, seq } }));
    await new Promise((r) => setTimeout(r, 200));
    expect(got.map((p) => p.op)).toEqual([10]);
    f.reconnectBot('agent-a');
    await a.closed;
    await bClosed;
    expect((await api(f, 'GET', '/users/@me', undefined, 'tok-a')).status).toBe(200);
    // Resumed: what was missed is replayed once.
    const c = new WebSocket(`${f.gatewayUrl}?v=10`);
    sockets.push(c);
    const got3: any[] = [];
    c.on('message', (raw) => got3.push(JSON.parse((raw as Buffer).toString())));
    await new Promise((r) => c.once('open', r));
    c.send(JSON.stringify({ op: 6, d: { token: 'tok-a', session_id: sessionId, seq } }));
    await until(() => got3.some((p) => p.t === 'RESUMED'));
    expect(got3.filter((p) => p.t === 'MESSAGE_CREATE').map((p) => p.d.content)).toEqual(['while cut off']);
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
  it("delivers one bot's messages, edits and files to the other bots connected at once, never to itself twice, each bot with its own limits", async () => {
    const f = await start({
      bots: [
        { name: 'orchestrator', token: 'tok-o' },
        { name: 'agent-a', token: 'tok-a' },
        { name: 'agent-b', token: 'tok-b2' },
      ],
    });
    const intents = 1 | (1 << 9) | (1 << 15);
    const conns = await Promise.all(['tok-o', 'tok-a', 'tok-b2'].map((t) => connect(f, t, intents)));
    await until(() => conns.every((c) => c.received.some((p) => p.t === 'GUILD_CREATE')));
    const form = new FormData();
    form.append(
      'payload_json',
      JSON.stringify({ content: '/claim@swarm T-1#1 agent=a', attachments: [{ id: 0, filename: 'r.json' }] }),
    );
    form.append('files[0]', new Blob([Buffer.from('{"ok":true}')]), 'r.json');
    const sent = await fetch(`${f.apiBase}/v10/channels/${f.channelId}/messages`, {
      method: 'POST',
      headers: { authorization: 'Bot tok-a' },
      body: form,
    });
    expect(sent.status).toBe(200);
    const created = (await sent.json()) as any;
    await until(() => conns.every((c) => c.received.some((p) => p.t === 'MESSAGE_CREATE')));
    for (const c of conns) {
      const d = c.received.find((p) => p.t === 'MESSAGE_CREATE').d;
      expect(d.author.username).toBe('agent-a');
      expect(d.content).toBe('/claim@swarm T-1#1 agent=a');
    }
    // The attachment URL is served by the fake's file host, without a token.
    const url = conns[0]!.received.find((p) => p.t === 'MESSAGE_CREATE').d.attachments[0].url;
    expect(await (await fetch(url)).text()).toBe('{"ok":true}');
    const edit = await api(
      f,
      'PATCH',
      `/channels/${f.channelId}/messages/${created.id}`,
      { content: 'beat 2' },
      'tok-a',
    );
    expect(edit.status).toBe(200);
    await until(() => conns.every((c) => c.received.some((p) => p.t === 'MESSAGE_UPDATE')));
    expect(conns[2]!.received.find((p) => p.t === 'MESSAGE_UPDATE').d.content).toBe('beat 2');
    // Agent a spends its channel window; agent b's own window is untouched.
    for (let i = 0; i < 3; i++)
      await api(f, 'POST', `/channels/${f.channelId}/messages`, { content: `a${i}` }, 'tok-a');
    expect(
      (await api(f, 'POST', `/channels/${f.channelId}/messages`, { content: 'over' }, 'tok-a')).status,
    ).toBe(429);
    expect(
      (await api(f, 'POST', `/channels/${f.channelId}/messages`, { content: 'b' }, 'tok-b2')).status,
    ).toBe(200);
  });
});
