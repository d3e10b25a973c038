import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Ledger } from '../../src/ledger/ledger.ts';
import type { Orchestrator } from '../../src/orchestrator/orchestrator.ts';
import { decodeProtocol, encodeProtocol } from '../../src/remote/protocol-codec.ts';
import type { ProtocolMessage } from '../../src/remote/protocol-types.ts';
import { remoteAgentIds } from '../../src/remote/remote-registry.ts';
import { expectAuditPasses } from '../support/expect-audit.ts';
import { MemoryHub, type HubParticipant, type HubPort } from '../support/memory-hub.ts';
import { manualClock, tempDir, tempLedger } from '../support/temp-ledger.ts';
import { createTestOrchestrator } from '../support/test-orchestrator.ts';
import { waitFor } from '../support/wait-for.ts';

const ORCH: HubParticipant = { id: 'orch', name: 'swarm', isBot: true, username: 'swarm_bot' };
const CODER: HubParticipant = { id: 'bot-c', name: 'coder bot', isBot: true, username: 'coder_bot' };
const WRITER: HubParticipant = { id: 'bot-w', name: 'writer bot', isBot: true, username: 'writer_bot' };
const STRANGER: HubParticipant = { id: 'bot-x', name: 'other bot', isBot: true, username: 'other_bot' };
const ALICE: HubParticipant = { id: 'alice', name: 'alice', isBot: false };

interface AgentSide {
  port: HubPort;
  got: ProtocolMessage[];
  say(message: ProtocolMessage): Promise<string>;
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

async function setup(settings: Record<string, number> = {}) {
  const clock = manualClock(Date.now());
  const ledger = tempLedger({ clock, leaseMs: 30_000 });
  const workDir = tempDir();
  const hub = new MemoryHub();
  const orchestrator: Orchestrator = createTestOrchestrator(ledger, hub.port(ORCH), {
    sweepIntervalMs: 60_000,
    remote: {
      agents: [
        { id: 'coder-001', botUserId: CODER.id, handle: 'coder_bot' },
        { id: 'writer-002', botUserId: WRITER.id, handle: 'writer_bot' },
      ],
      workDir,
      settings: { tickMs: 10, ...settings },
    },
  });
  await orchestrator.start();
  current = orchestrator;
  stops.push(() => orchestrator.stop());
  const agent = async (who: HubParticipant): Promise<AgentSide> => {
    const port = hub.port(who);
    const got: ProtocolMessage[] = [];
    await port.start(async (msg) => {
      if (msg.author.id !== ORCH.id) return;
      const d = decodeProtocol(msg.text);
      if (d.ok && d.message.to === who.username) got.push(d.message);
    });
    return {
      port,
      got,
      async say(message) {
        const sent = await port.send({ text: encodeProtocol(message), nonce: 'n' });
        await hub.idle();
        return sent.messageId;
      },
    };
  };
  return { clock, ledger, workDir, hub, orchestrator, agent };
}

type Held = Array<{ tag: { taskId: string; attempt: number }; pct: number | null; text: string }>;

const hello = (agent: string, free = 1, held: Held = []): ProtocolMessage => ({
  verb: 'hello',
  to: 'swarm_bot',
  agent,
  capacity: 1,
  free,
  beat: 1,
  skills: ['code'],
  held,
});

function received(side: AgentSide, verb: string): Promise<ProtocolMessage> {
  return waitFor(`${verb} for the agent`, () => side.got.find((m) => m.verb === verb), 5_000);
}

let current: Orchestrator | undefined;

/** The poster has sent everything (the audit checks the mirror), then the audit passes. */
async function drained(ledger: Ledger): Promise<void> {
  expect(await current!.poster.drain(5_000)).toBe(0);
  await expectAuditPasses(ledger);
}

function snapshot(ledger: Ledger): string {
  const tasks = ledger.listTasks();
  const attempts = ledger.core.sql('SELECT * FROM attempts ORDER BY task_id, attempt').all();
  return JSON.stringify({ tasks, attempts, events: ledger.lastEventSeq() });
}

describe('RemoteArbiter', () => {
  it('offers, grants, hears heartbeats and progress, and records a result once', async () => {
    const { ledger, agent } = await setup();
    const coder = await agent(CODER);
    const { task } = ledger.createTask(
      { title: 'Write the post', body: 'with @alice', skills: ['code'] },
      'test',
    );
    const helloId = await coder.say(hello('coder-001'));
    const offer = await received(coder, 'offer');
    expect(offer).toMatchObject({ tag: { taskId: task.id, attempt: 1 }, agent: 'coder-001' });
    expect(remoteAgentIds(ledger).has('coder-001')).toBe(true);

    await coder.say({
      verb: 'claim',
      to: 'swarm_bot',
      tag: { taskId: task.id, attempt: 1 },
      agent: 'coder-001',
    });
    const grant = await received(coder, 'grant');
    expect(grant).toMatchObject({ tag: { taskId: task.id, attempt: 1 }, leaseMs: 30_000 });
    expect(grant.verb === 'grant' && grant.task?.body).toBe('with @alice');
    expect(ledger.getTask(task.id)).toMatchObject({ status: 'claimed', owner: 'coder-001', attempt: 1 });

    // The heartbeat is an edit of the hello message, with the attempt's progress in it.
    await coder.port.edit(
      { messageId: helloId },
      {
        text: encodeProtocol(
          hello('coder-001', 0, [{ tag: { taskId: task.id, attempt: 1 }, pct: 40, text: 'drafting' }]),
        ),
      },
    );
    await waitFor('progress', () => ledger.getTask(task.id)?.progressPct === 40);

    await coder.say({
      verb: 'result',
      to: 'swarm_bot',
      tag: { taskId: task.id, attempt: 1 },
      outcome: 'ok',
      text: 'the post',
    });
    const ack = await received(coder, 'ack');
    expect(ack).toMatchObject({ outcome: 'done' });
    expect(ledger.getTask(task.id)).toMatchObject({ status: 'done', result: 'the post' });

    // Sent again (the agent missed the ack): acknowledged again, recorded once.
    const events = ledger.lastEventSeq();
    coder.got.length = 0;
    await coder.say({
      verb: 'result',
      to: 'swarm_bot',
      tag: { taskId: task.id, attempt: 1 },
      outcome: 'ok',
      text: 'the post',
    });
    await received(coder, 'ack');
    expect(ledger.lastEventSeq()).toBe(events);
    await drained(ledger);
  });

  it('gives one grant when two agents claim the same attempt', async () => {
    const { ledger, agent } = await setup({ offerFanout: 2 });
    const coder = await agent(CODER);
    const writer = await agent(WRITER);
    const { task } = ledger.createTask({ title: 'One of you', skills: ['code'] }, 'test');
    await coder.say(hello('coder-001'));
    await writer.say(hello('writer-002'));
    await received(coder, 'offer');
    await received(writer, 'offer');
    const tag = { taskId: task.id, attempt: 1 };
    await Promise.all([
      coder.say({ verb: 'claim', to: 'swarm_bot', tag, agent: 'coder-001' }),
      writer.say({ verb: 'claim', to: 'swarm_bot', tag, agent: 'writer-002' }),
    ]);
    await waitFor('both answers', () => coder.got.length + writer.got.length >= 4, 5_000);
    const verdicts = [...coder.got, ...writer.got].filter((m) => m.verb === 'grant' || m.verb === 'taken');
    expect(verdicts.map((m) => m.verb).sort()).toEqual(['grant', 'taken']);
    expect(ledger.core.sql('SELECT COUNT(*) AS n FROM attempts').get()).toEqual({ n: 1 });
    await drained(ledger);
  });

  it('refuses bad input, logs it and leaves the ledger as it was', async () => {
    const { ledger, hub, agent } = await setup();
    const coder = await agent(CODER);
    const writer = await agent(WRITER);
    const stranger = hub.port(STRANGER);
    await stranger.start(async () => undefined);
    const { task } = ledger.createTask({ title: 'Held by the writer', skills: ['code'] }, 'test');
    await coder.say(hello('coder-001'));
    await writer.say(hello('writer-002'));
    await writer.say({
      verb: 'claim',
      to: 'swarm_bot',
      tag: { taskId: task.id, attempt: 1 },
      agent: 'writer-002',
    });
    await received(writer, 'grant');
    await new Promise((r) => setTimeout(r, 50));
    const before = snapshot(ledger);
    coder.got.length = 0;

    const bad = [
      '/claim@swarm_bot T-1#1', // no agent field
      '/result@swarm_bot T-1#1 outcome=ok\n{"text": 12}',
      `/ask@swarm_bot ${task.id}#1\n${JSON.stringify({ question: 'x'.repeat(9_000) })}`,
      '/result@swarm_bot T-1#1 outcome=ok color=blue',
    ];
    for (const text of bad) await coder.port.send({ text, nonce: 'n' });
    await hub.idle();
    await coder.say({
      verb: 'result',
      to: 'swarm_bot',
      tag: { taskId: task.id, attempt: 1 },
      outcome: 'ok',
      text: 'mine!',
    });
    await coder.say({
      verb: 'result',
      to: 'swarm_bot',
      tag: { taskId: task.id, attempt: 7 },
      outcome: 'ok',
      text: 'x',
    });
    await coder.say({
      verb: 'result',
      to: 'swarm_bot',
      tag: { taskId: 'NOPE-1', attempt: 1 },
      outcome: 'ok',
      text: 'x',
    });
    await coder.say({
      verb: 'ask',
      to: 'swarm_bot',
      tag: { taskId: task.id, attempt: 1 },
      question: 'whose?',
    });
    await coder.say({
      verb: 'claim',
      to: 'swarm_bot',
      tag: { taskId: 'NOPE-1', attempt: 1 },
      agent: 'coder-001',
    });
    await coder.say({
      verb: 'claim',
      to: 'swarm_bot',
      tag: { taskId: task.id, attempt: 1 },
      agent: 'coder-001',
    });
    // Addressed to another bot: not answered at all.
    await coder.say({
      verb: 'claim',
      to: 'other_bot',
      tag: { taskId: task.id, attempt: 2 },
      agent: 'coder-001',
    });
    // A person and an unconfigured bot forging the writer's result and a claim.
    const forged = encodeProtocol({
      verb: 'result',
      to: 'swarm_bot',
      tag: { taskId: task.id, attempt: 1 },
      outcome: 'ok',
      text: 'forged',
    });
    hub.post(ALICE, forged);
    await stranger.send({ text: forged, nonce: 'n' });
    hub.post(
      ALICE,
      encodeProtocol({
        verb: 'claim',
        to: 'swarm_bot',
        tag: { taskId: task.id, attempt: 2 },
        agent: 'coder-001',
      }),
    );
    await hub.idle();
    await waitFor('the refusals', () => coder.got.length >= 10, 5_000);

    expect(snapshot(ledger)).toBe(before);
    expect(ledger.getTask(task.id)).toMatchObject({ status: 'claimed', owner: 'writer-002', result: null });
    const whys = coder.got.map((m) => ('why' in m ? m.why : m.verb));
    expect(whys.filter((w) => w === 'bad_message')).toHaveLength(4);
    expect(whys).toEqual(expect.arrayContaining(['not_yours', 'unknown_attempt', 'unknown_task', 'taken']));
    // The orchestrator answered nobody but the agent, and nothing about the other bot's claim.
    expect(coder.got.every((m) => m.to === 'coder_bot')).toBe(true);
    const refusedInbox = ledger.core
      .sql("SELECT author_id, outcome FROM inbox WHERE author_id IN ('alice', 'bot-x') ORDER BY author_id")
      .all();
    expect(refusedInbox).toEqual([
      { author_id: 'alice', outcome: 'refused' },
      { author_id: 'alice', outcome: 'refused' },
      { author_id: 'bot-x', outcome: 'refused' },
    ]);
    await drained(ledger);
  });

  it('applies a replayed message once', async () => {
    const { ledger, orchestrator, agent } = await setup();
    const coder = await agent(CODER);
    const { task } = ledger.createTask({ title: 'Once', skills: ['code'] }, 'test');
    await coder.say(hello('coder-001'));
    const text = encodeProtocol({
      verb: 'claim',
      to: 'swarm_bot',
      tag: { taskId: task.id, attempt: 1 },
      agent: 'coder-001',
    });
    const msg = {
      platform: 'memory',
      channelId: 'hub',
      messageId: 'replayed-1',
      author: { id: CODER.id, name: 'coder bot', isBot: true },
      botUsername: 'swarm_bot',
      text,
      sentAt: Date.now(),
    };
    await orchestrator.onMessage(msg);
    const after = snapshot(ledger);
    await orchestrator.onMessage(msg);
    await orchestrator.onMessage({ ...msg });
    expect(snapshot(ledger)).toBe(after);
    const grants = ledger.core
      .sql("SELECT COUNT(*) AS n FROM outbox WHERE payload LIKE '%/grant@%'")
      .get() as { n: number };
    expect(grants.n).toBe(1);
  });

  it('refuses a result that comes after the lease ran out, once, and stops the agent', async () => {
    const { ledger, clock, agent } = await setup();
    const coder = await agent(CODER);
    const { task } = ledger.createTask({ title: 'Too slow', skills: ['code'] }, 'test');
    await coder.say(hello('coder-001'));
    const tag = { taskId: task.id, attempt: 1 };
    await coder.say({ verb: 'claim', to: 'swarm_bot', tag, agent: 'coder-001' });
    await received(coder, 'grant');
    clock.advance(31_000); // silent past the lease; the sweeper has not run yet
    await coder.say({ verb: 'result', to: 'swarm_bot', tag, outcome: 'ok', text: 'late' });
    const refused = await received(coder, 'refused');
    expect(refused).toMatchObject({ why: 'stale', tag });
    expect(ledger.getTask(task.id)).toMatchObject({ status: 'queued', result: null });
    await coder.say({ verb: 'result', to: 'swarm_bot', tag, outcome: 'ok', text: 'late' });
    await waitFor('second refusal', () => coder.got.filter((m) => m.verb === 'refused').length === 2, 5_000);
    const stale = ledger.events({ taskId: task.id }).filter((e) => e.type === 'stale_write_refused');
    expect(stale).toHaveLength(1);
    await drained(ledger);
  });

  it("relays a person's answer and stops a cancelled attempt", async () => {
    const { ledger, hub, agent } = await setup();
    const coder = await agent(CODER);
    const { task } = ledger.createTask({ title: 'Ask first', skills: ['code'] }, 'test');
    await coder.say(hello('coder-001'));
    const tag = { taskId: task.id, attempt: 1 };
    await coder.say({ verb: 'claim', to: 'swarm_bot', tag, agent: 'coder-001' });
    await received(coder, 'grant');
    await coder.say({ verb: 'ask', to: 'swarm_bot', tag, question: 'Playful or formal?' });
    await waitFor('blocked', () => ledger.getTask(task.id)?.status === 'blocked');
    hub.post(ALICE, `/answer ${task.id} formal`);
    const reply = await received(coder, 'reply');
    expect(reply).toMatchObject({ tag, answer: 'formal' });
    hub.post(ALICE, `/cancel ${task.id} changed my mind`);
    const stop = await received(coder, 'stop');
    expect(stop).toMatchObject({ tag, why: 'cancelled' });
    await drained(ledger);
  });

  it('stores a bundled result with its artifacts, and refuses a bad artifact', async () => {
    const { ledger, agent, orchestrator } = await setup();
    const coder = await agent(CODER);
    const one = ledger.createTask({ title: 'With a file', skills: ['code'] }, 'test').task;
    const two = ledger.createTask({ title: 'With a bad file', skills: ['code'] }, 'test').task;
    await coder.say(hello('coder-001'));
    for (const t of [one, two]) {
      await coder.say({
        verb: 'claim',
        to: 'swarm_bot',
        tag: { taskId: t.id, attempt: 1 },
        agent: 'coder-001',
      });
    }
    await waitFor('grants', () => coder.got.filter((m) => m.verb === 'grant').length === 2, 5_000);
    const content = Buffer.from('hello file');
    const bundle = (tag: string, name: string, sha: string) =>
      Buffer.from(
        JSON.stringify({
          tag,
          output: 'see file',
          artifacts: [{ name, size: content.length, sha256: sha, base64: content.toString('base64') }],
        }),
      );
    const sha = createHash('sha256').update(content).digest('hex');
    const send = (taskId: string, file: Buffer) =>
      coder.port.send({
        text: encodeProtocol({
          verb: 'result',
          to: 'swarm_bot',
          tag: { taskId, attempt: 1 },
          outcome: 'ok',
          bundle: `${taskId}-1.result.json`,
        }),
        attachment: { fileName: `${taskId}-1.result.json`, content: file },
        nonce: 'n',
      });
    await send(one.id, bundle(`${one.id}#1`, 'notes.txt', sha));
    await send(two.id, bundle(`${two.id}#1`, '../escape.txt', sha));
    await waitFor(
      'both answered',
      () => coder.got.filter((m) => m.verb === 'ack' || m.verb === 'refused').length === 2,
      5_000,
    );
    expect(ledger.getTask(one.id)).toMatchObject({ status: 'done', result: 'see file' });
    const stored = `${orchestrator.remote!.attemptFilesDir({ taskId: one.id, attempt: 1 })}/notes.txt`;
    expect(readFileSync(stored, 'utf8')).toBe('hello file');
    const done = ledger.events({ taskId: one.id }).find((e) => e.type === 'task_done');
    expect(done?.data.artifacts).toEqual([
      { name: 'notes.txt', path: stored, bytes: 'hello file'.length, sha256: sha },
    ]);
    expect(coder.got.find((m) => m.verb === 'refused')).toMatchObject({ why: 'bad_artifact' });
    expect(ledger.getTask(two.id)?.status).not.toBe('done');
    expect(
      existsSync(`${orchestrator.remote!.attemptFilesDir({ taskId: two.id, attempt: 1 })}/../escape.txt`),
    ).toBe(false);
    await drained(ledger);
  });

  it('ignores an agent over its message budget', async () => {
    const { ledger, hub, agent } = await setup({ messagesPerMinute: 3 });
    const coder = await agent(CODER);
    const { task } = ledger.createTask({ title: 'Budget', skills: ['code'] }, 'test');
    await coder.say(hello('coder-001'));
    for (let i = 0; i < 4; i++) await coder.port.send({ text: '/claim@swarm_bot nonsense', nonce: 'n' });
    await hub.idle();
    await waitFor('two refusals', () => coder.got.filter((m) => m.verb === 'refused').length === 2, 5_000);
    await coder.say({
      verb: 'claim',
      to: 'swarm_bot',
      tag: { taskId: task.id, attempt: 1 },
      agent: 'coder-001',
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(ledger.getTask(task.id)?.status).toBe('queued');
    expect(coder.got.filter((m) => m.verb === 'refused')).toHaveLength(2);
  });
});
