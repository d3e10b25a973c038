import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatPort, IncomingMessage } from '../../../src/chat/chat-port.ts';
import { AGENT_TOKEN, ORCHESTRATOR_TOKEN, startDiscordKit, type DiscordKit } from './discord-test-kit.ts';
import { createMessageCollector, waitFor } from '../../contract/message-collector.ts';

let kit: DiscordKit;
afterEach(async () => {
  expect(kit.fake.unknownRoutes).toEqual([]);
  await kit.close();
});

async function started(
  extra = {},
): Promise<{ port: ChatPort; inbox: ReturnType<typeof createMessageCollector> }> {
  const port = kit.channel(extra);
  const inbox = createMessageCollector();
  await port.start(inbox.handler);
  return { port, inbox };
}

describe('Discord adapter against the fake server', () => {
  it('sends with a nonce and no mentions, edits in place, threads per task and archives', async () => {
    kit = await startDiscordKit();
    const { port } = await started();
    const main = await port.send({ heading: 'T-3 queued', text: 'Draw a logo @everyone', nonce: 'n-main' });
    await port.edit!(main, { heading: 'T-3 claimed', text: 'by designer-001' });
    const anchor = { messageId: main.messageId, taskId: 'T-3', title: 'Draw a logo' };
    const first = await port.send({ text: 'claimed', under: anchor, speaker: 'designer-001', nonce: 'n-1' });
    const second = await port.send({
      text: 'progress 50%',
      under: anchor,
      speaker: 'writer-002',
      nonce: 'n-2',
    });
    expect(first.threadId).toBe(main.messageId);
    expect(second.threadId).toBe(main.messageId);
    const top = kit.fake.transcript();
    expect(top).toHaveLength(1);
    expect(top[0]).toMatchObject({
      nonce: 'n-main',
      allowedMentions: { parse: [] },
      edits: 1,
      content: '**T-3 claimed**\nby designer-001',
    });
    const thread = kit.fake.transcript(main.messageId);
    expect(thread.map((m) => m.authorName)).toEqual(['designer-bot', 'orchestrator']);
    expect(thread[1]!.content).toBe('-# writer-002\nprogress 50%');
    expect(kit.fake.threads()).toEqual([
      { id: main.messageId, name: 'T-3 · Draw a logo', parentId: kit.fake.channelId, archived: false },
    ]);
    await port.closeDetails!(anchor);
    expect(kit.fake.threads()[0]!.archived).toBe(true);
  });

  it('a create retried with the same nonce leaves one message', async () => {
    kit = await startDiscordKit();
    const { port } = await started();
    const a = await port.send({ text: 'result: done', nonce: 'outbox-17' });
    const b = await port.send({ text: 'result: done', nonce: 'outbox-17' });
    expect(b.messageId).toBe(a.messageId);
    expect(kit.fake.transcript()).toHaveLength(1);
    expect(kit.fake.messagesDedupedByNonce).toBe(1);
  });

  it('splits content that escaping pushed past 2000 and attaches very long text', async () => {
    kit = await startDiscordKit();
    const { port } = await started();
    const dense = '*_'.repeat(1_000);
    const sent = await port.send({ text: dense, nonce: 'dense' });
    const parts = kit.fake.transcript();
    expect(parts.length).toBe(2);
    expect(parts[0]!.id).toBe(sent.messageId);
    expect(parts.every((p) => p.content.length <= 2_000)).toBe(true);
    expect(parts.map((p) => p.nonce)).toEqual(['dense', 'dense+2']);
    expect(
      parts
        .map((p) => p.content)
        .join('')
        .replace(/\\(.)/g, '$1'),
    ).toBe(dense);
    const long = 'line of output\n'.repeat(400);
    await port.send({ text: long, nonce: 'long' });
    const last = kit.fake.transcript().at(-1)!;
    expect(last.content.length).toBeLessThanOrEqual(2_000);
    expect(last.attachments.map((a) => a.filename)).toEqual(['message.txt']);
    expect(last.attachments[0]!.content.toString('utf8')).toBe(long);
  });

  it('delivers people’s commands, replies and thread messages, never bots or itself', async () => {
    kit = await startDiscordKit();
    const { port, inbox } = await started({ remoteAgentBotIds: [] });
    const main = await port.send({ heading: 'T-1 blocked', text: 'which colour?', nonce: 'q' });
    await port.send({
      text: 'question asked',
      under: { messageId: main.messageId, taskId: 'T-1', title: 'x' },
      nonce: 'q2',
    });
    const cmd = kit.fake.post('alice', '/status');
    kit.fake.postAsBot('stranger', '!cancel T-1');
    const reply = kit.fake.post('bob', 'blue', { replyTo: main.messageId });
    const inThread = kit.fake.post('alice', '!approve T-1', { channelId: main.messageId });
    const got = await inbox.waitForId(inThread, 10_000);
    expect(inbox.messages.map((m) => m.messageId)).toEqual([cmd, reply, inThread]);
    const first = inbox.messages[0]!;
    expect(first).toMatchObject<Partial<IncomingMessage>>({
      platform: 'discord',
      channelId: kit.fake.channelId,
      text: '/status',
    });
    expect(first.author).toMatchObject({
      name: 'alice',
      isBot: false,
      roleIds: [kit.fake.role('admins').id],
    });
    expect(inbox.messages[1]!.replyToMessageId).toBe(main.messageId);
    expect(got.threadId).toBe(main.messageId);
    expect(got.channelId).toBe(kit.fake.channelId);
  });

  it('delivers a configured remote agent bot', async () => {
    kit = await startDiscordKit();
    const { inbox } = await started({ remoteAgentBotIds: [kit!.fake.bot('stranger').id] });
    const id = kit.fake.postAsBot('stranger', '::claim T-1');
    expect((await inbox.waitForId(id, 10_000)).author.isBot).toBe(true);
  });

  it('after a resumed gateway drop, a command posted meanwhile is delivered exactly once', async () => {
    kit = await startDiscordKit();
    const { inbox } = await started();
    const before = kit.fake.post('alice', '/status');
    await inbox.waitForId(before, 10_000);
    kit.fake.dropGateway();
    const during = kit.fake.post('alice', '/cancel T-1');
    await inbox.waitForId(during, 20_000);
    await waitFor('resume', () => (kit.fake.gateway.counters.resumes >= 1 ? true : undefined), 20_000);
    const marker = kit.fake.post('alice', 'marker');
    await inbox.waitForId(marker, 10_000);
    expect(inbox.count(during)).toBe(1);
    expect(inbox.count(before)).toBe(1);
  });

  it('after an invalidated session, catch-up from history applies the missed command once', async () => {
    kit = await startDiscordKit();
    const { inbox } = await started();
    kit.fake.dropGateway({ invalidate: true });
    const during = kit.fake.post('alice', '/retry T-2');
    await inbox.waitForId(during, 20_000);
    await waitFor(
      're-identify',
      () => (kit.fake.gateway.counters.identifies >= 2 ? true : undefined),
      20_000,
    );
    const marker = kit.fake.post('alice', 'marker');
    await inbox.waitForId(marker, 10_000);
    expect(inbox.count(during)).toBe(1);
    expect(kit.fake.gateway.counters.invalidSessions).toBeGreaterThanOrEqual(1);
  });

  it('a whole-server outage gives transient errors, then recovers and catches up', async () => {
    kit = await startDiscordKit();
    const { port, inbox } = await started();
    await kit.fake.goOffline();
    const err = await port.send({ text: 'during outage', nonce: 'out-1' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ChatError', permanent: false });
    const missed = kit.fake.post('bob', '/pause');
    await kit.fake.goOnline();
    await inbox.waitForId(missed, 30_000);
    const sent = await port.send({ text: 'after outage', nonce: 'out-2' });
    expect(kit.fake.transcript().map((m) => m.id)).toContain(sent.messageId);
    expect(inbox.count(missed)).toBe(1);
  });

  it('a burst of sends and edits to one channel draws no 429 from the fake', async () => {
    kit = await startDiscordKit({ rateLimits: { messages: { limit: 5, windowMs: 1_000 } } });
    const { port } = await started({ rates: { perChannel: 5, perChannelWindowMs: 1_000 } });
    const sends = Array.from({ length: 14 }, (_, i) =>
      port.send({ text: `event ${i}`, nonce: `burst-${i}` }),
    );
    const sent = await Promise.all(sends);
    await Promise.all(sent.slice(0, 4).map((s, i) => port.edit!(s, { text: `edited ${i}` })));
    expect(kit.fake.transcript()).toHaveLength(14);
    expect(kit.fake.counters.served429).toBe(0);
  });

  it('sits out a short 429 after its Retry-After and hands a long one back as transient', async () => {
    kit = await startDiscordKit();
    const { port } = await started({ maxRateLimitWaitMs: 5_000 });
    kit.fake.force429({ retryAfterMs: 400, matches: (m, p) => m === 'POST' && p.endsWith('/messages') });
    await port.send({ text: 'after a short wait', nonce: 'rl-1' });
    const posts = kit.fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/messages'));
    expect(posts.map((r) => r.status)).toEqual([429, 200]);
    expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(400);
    kit.fake.force429({ retryAfterMs: 60_000, matches: (m, p) => m === 'POST' && p.endsWith('/messages') });
    const err = await port.send({ text: 'long wait', nonce: 'rl-2' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ChatError', permanent: false });
    expect((err as { retryAfterMs: number }).retryAfterMs).toBeGreaterThanOrEqual(59_000);
  });

  it('stop() closes the gateway socket and a later send fails as not started', async () => {
    kit = await startDiscordKit();
    const { port } = await started();
    expect(kit.fake.gateway.openSockets).toBe(1);
    await port.stop();
    await port.stop();
    await waitFor(
      'gateway socket closed',
      () => (kit.fake.gateway.openSockets === 0 ? true : undefined),
      10_000,
    );
    await expect(port.send({ text: 'x', nonce: 'late' })).rejects.toMatchObject({ name: 'ChatError' });
  });

  it('refuses to start without the MessageContent intent, saying how to fix it', async () => {
    kit = await startDiscordKit({
      bots: [{ name: 'orchestrator', token: ORCHESTRATOR_TOKEN, messageContentAllowed: false }],
    });
    const port = kit.channel({ agentTokens: {} });
    const err = await port.start(async () => {}).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ChatError', permanent: true, platformCode: 4014 });
    expect(String((err as Error).message)).toMatch(/Message Content Intent/);
    await waitFor(
      'gateway socket closed',
      () => (kit.fake.gateway.openSockets === 0 ? true : undefined),
      10_000,
    );
  });

  it('never puts a token in an error or a log line', async () => {
    kit = await startDiscordKit();
    const bad = kit.channel({ token: `${ORCHESTRATOR_TOKEN}-wrong` });
    const startErr = await bad.start(async () => {}).catch((e: unknown) => e);
    expect(startErr).toMatchObject({ name: 'ChatError', permanent: true });
    const { port } = await started({ channelId: kit.fake.channelId });
    const errors: unknown[] = [];
    errors.push(await port.send({ text: 'x'.repeat(10), nonce: 'n'.repeat(26) }).catch((e: unknown) => e));
    errors.push(
      await port
        .send({
          text: 'y',
          speaker: 'designer-001',
          under: { messageId: '1234567890123456789', taskId: 'T-9', title: 'gone' },
          nonce: 'z',
        })
        .catch((e: unknown) => e),
    );
    await kit.fake.goOffline();
    errors.push(await port.send({ text: 'z', speaker: 'designer-001', nonce: 'w' }).catch((e: unknown) => e));
    await kit.fake.goOnline();
    expect(errors.every((e) => e instanceof Error)).toBe(true);
    expect(errors.map((e) => (e as { permanent: boolean }).permanent)).toEqual([true, true, false]);
    const everything =
      [startErr, ...errors].map((e) => inspect(e, { depth: 10 })).join('\n') + kit.log.lines.join('\n');
    for (const token of [ORCHESTRATOR_TOKEN, AGENT_TOKEN]) expect(everything).not.toContain(token);
  });
});
