import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFunctionWorker } from '../../src/agents/function-worker.ts';
import type { IncomingMessage } from '../../src/chat/chat-port.ts';
import type { Logger } from '../../src/core/logger.ts';
import { AGENT_INBOX_DEFAULTS } from '../../src/remote/agent-inbox.ts';
import { decodeProtocol, encodeProtocol } from '../../src/remote/protocol-codec.ts';
import { PROTOCOL_LIMITS, type GrantedTask, type ProtocolMessage } from '../../src/remote/protocol-types.ts';
import { RemoteAgent } from '../../src/remote/remote-agent.ts';
import { RemoteStore } from '../../src/remote/remote-store.ts';
import { MemoryHub, type HubParticipant } from '../support/memory-hub.ts';
import { tempDir } from '../support/temp-ledger.ts';
import { waitFor } from '../support/wait-for.ts';

// No orchestrator here: the test speaks as the orchestrator's bot, and as people and bots imitating it.
const ORCH: HubParticipant = { id: 'orch', name: 'swarm', isBot: true, username: 'swarm_bot' };
const AGENT_BOT: HubParticipant = { id: 'bot-c', name: 'coder bot', isBot: true, username: 'coder_bot' };
const OTHER_BOT: HubParticipant = { id: 'bot-x', name: 'stranger bot', isBot: true, username: 'x_bot' };
const ALICE: HubParticipant = { id: 'alice', name: 'alice', isBot: false };
const ID = 'coder-001';

const TASK: GrantedTask = {
  title: 'Write it',
  body: 'the body',
  skills: ['code'],
  notes: [],
  timeoutMs: 60_000,
  maxAttempts: 3,
  try: 1,
  review: false,
};

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

interface Logged {
  level: string;
  msg: string;
  fields: Record<string, unknown> | undefined;
}

function recordingLogger(): { log: Logger; lines: Logged[] } {
  const lines: Logged[] = [];
  const at =
    (level: string) =>
    (msg: string, fields?: Record<string, unknown>): void =>
      void lines.push({ level, msg, fields });
  return { log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

const tag = (taskId: string, attempt = 1) => ({ taskId, attempt });
const say = (m: ProtocolMessage): string => encodeProtocol(m);
const offer = (taskId: string, agent = ID): string =>
  say({ verb: 'offer', to: 'coder_bot', tag: tag(taskId), agent });
const grant = (taskId: string, agent = ID): string =>
  say({ verb: 'grant', to: 'coder_bot', tag: tag(taskId), agent, leaseMs: 60_000, task: { ...TASK } });
const stop = (taskId: string): string =>
  say({ verb: 'stop', to: 'coder_bot', tag: tag(taskId), why: 'cancelled' });

async function setup() {
  const hub = new MemoryHub();
  const { log, lines } = recordingLogger();
  const dir = tempDir();
  const started: string[] = [];
  const aborted: string[] = [];
  const finish = new Map<string, () => void>();
  const port = hub.port(AGENT_BOT);
  // Records a handler that throws or rejects: the agent must never let one through.
  const crashes: unknown[] = [];
  const delivered: IncomingMessage[] = [];
  let handler: ((msg: IncomingMessage) => Promise<void>) | undefined;
  const watched = {
    ...port,
    start: (onMessage: Parameters<typeof port.start>[0]) => {
      handler = async (msg) => {
        delivered.push(msg);
        try {
          await onMessage(msg);
        } catch (err) {
          crashes.push(err);
        }
      };
      return port.start(handler);
    },
  };
  /** Delivers a message the agent already had once more, as a reconnect or a replay would. */
  const redeliver = async (messageId: string): Promise<void> => {
    const msg = delivered.find((m) => m.messageId === messageId);
    if (!msg || !handler) throw new Error(`message ${messageId} was never delivered`);
    await handler({ ...msg });
  };
  const agent = new RemoteAgent({
    port: watched,
    id: ID,
    skills: ['code'],
    capacity: 2,
    worker: createFunctionWorker(
      (ctx) =>
        new Promise<string>((resolve) => {
          started.push(ctx.task.id);
          finish.set(ctx.task.id, () => resolve('done'));
          ctx.signal.addEventListener('abort', () => {
            aborted.push(ctx.task.id);
            resolve('stopped');
          });
        }),
    ),
    workRoot: join(dir, 'tasks'),
    store: new RemoteStore(dir),
    handle: 'coder_bot',
    orchestrator: { botUserId: ORCH.id, handle: 'swarm_bot' },
    log,
    settings: { loopMs: 20, idleHelloMs: 60_000, claimTimeoutMs: 30_000, resultResendMs: 60_000 },
  });
  await agent.start();
  stops.push(() => agent.stop());
  /** What the agent's bot said, decoded (its hello edits are not new messages). */
  const said = (verb: string): ProtocolMessage[] =>
    hub
      .textsBy(AGENT_BOT.id)
      .map((t) => decodeProtocol(t))
      .flatMap((d) => (d.ok && d.message.verb === verb ? [d.message] : []));
  /** The agent's store file as written (none yet: nothing was kept or finished). */
  const storeFile = (): { finished: string[]; pending: { tag: string }[] } => {
    const file = join(dir, 'remote-agent.json');
    if (!existsSync(file)) return { finished: [], pending: [] };
    return JSON.parse(readFileSync(file, 'utf8')) as never;
  };
  const warned = (pattern: RegExp): Logged[] =>
    lines.filter((l) => l.level === 'warn' && pattern.test(l.msg));
  /** Posts as `author` and waits until the agent has handled it. */
  const post = async (author: HubParticipant, text: string): Promise<string> => {
    const id = hub.post(author, text);
    await hub.idle();
    return id;
  };
  /** Offers `taskId` and waits for the agent's claim. */
  const claimed = async (taskId: string): Promise<void> => {
    await post(ORCH, offer(taskId));
    await waitFor(`claim of ${taskId}`, () =>
      said('claim').some((m) => m.verb === 'claim' && m.tag.taskId === taskId),
    );
  };
  return {
    hub,
    agent,
    lines,
    redeliver,
    started,
    aborted,
    finish,
    crashes,
    said,
    storeFile,
    warned,
    post,
    claimed,
  };
}

describe('RemoteAgent refuses bad input from the channel', () => {
  it('never starts a worker for a grant it did not claim, gives such a grant back once, and ignores its replays', async () => {
    const t = await setup();
    await t.post(ORCH, grant('T-1'));
    await waitFor('release', () => t.said('release').length === 1, 5_000);
    expect(t.said('release')[0]).toMatchObject({ tag: tag('T-1'), reason: 'not wanted any more' });
    expect(t.warned(/not claimed now; giving it back/)).toHaveLength(1);
    // The same grant again (a replay, or resent): no second release, no worker.
    await t.post(ORCH, grant('T-1'));
    await t.post(ORCH, grant('T-1'));
    expect(t.said('release')).toHaveLength(1);
    expect(t.warned(/already finished; ignored/)).toHaveLength(2);
    expect(t.started).toEqual([]);
    expect(t.crashes).toEqual([]);
  });

  it('ignores a grant naming another agent, and a duplicate grant of an attempt it runs or ran', async () => {
    const t = await setup();
    await t.claimed('T-2');
    await t.post(ORCH, grant('T-2', 'writer-002'));
    expect(t.warned(/grant naming another agent; ignored/)).toHaveLength(1);
    expect(t.started).toEqual([]);
    expect(t.said('release')).toEqual([]);
    // The claim still stands: the real grant starts the worker.
    await t.post(ORCH, grant('T-2'));
    await waitFor('worker started', () => t.started.length === 1, 5_000);
    await t.post(ORCH, grant('T-2'));
    expect(t.warned(/already running; ignored/)).toHaveLength(1);
    t.finish.get('T-2')!();
    await waitFor('result kept', () => t.storeFile().pending.length === 1, 5_000);
    // A grant for the finished attempt (its result not yet acknowledged) is not given back either:
    // that would put the task back in the queue and lose the result.
    await t.post(ORCH, grant('T-2'));
    expect(t.warned(/already finished; ignored/)).toHaveLength(1);
    expect(t.started).toEqual(['T-2']);
    expect(t.said('release')).toEqual([]);
    expect(t.storeFile().pending.map((p) => p.tag)).toEqual(['T-2#1']);
    expect(t.crashes).toEqual([]);
  });

  it('ignores a stop, an answer, an acknowledgement or a refusal for an attempt it does not hold', async () => {
    const t = await setup();
    await t.claimed('T-3');
    await t.post(ORCH, grant('T-3'));
    await waitFor('worker started', () => t.started.length === 1, 5_000);
    const before = t.storeFile();
    await t.post(ORCH, stop('T-99'));
    await t.post(ORCH, say({ verb: 'reply', to: 'coder_bot', tag: tag('T-99'), answer: 'yes' }));
    await t.post(ORCH, say({ verb: 'reply', to: 'coder_bot', tag: tag('T-3'), answer: 'unasked' }));
    await t.post(ORCH, say({ verb: 'ack', to: 'coder_bot', tag: tag('T-99'), outcome: 'done' }));
    await t.post(
      ORCH,
      say({ verb: 'refused', to: 'coder_bot', tag: tag('T-3', 2), why: 'stale', detail: 'over' }),
    );
    await t.post(ORCH, say({ verb: 'taken', to: 'coder_bot', tag: tag('T-98'), why: 'taken' }));
    expect(t.warned(/a stop for an attempt this agent does not hold/)).toHaveLength(1);
    expect(t.warned(/an answer for an attempt this agent does not hold/)).toHaveLength(2);
    // Nothing was stopped, and nothing about the unknown attempts was written to the store.
    expect(t.aborted).toEqual([]);
    expect(t.agent.busy).toBe(1);
    expect(t.storeFile()).toEqual(before);
    // The real stop still stops it.
    await t.post(ORCH, stop('T-3'));
    await waitFor('worker stopped', () => t.aborted.length === 1, 5_000);
    expect(t.storeFile().finished).toContain('T-3#1');
    expect(t.crashes).toEqual([]);
  });

  it('logs and drops unreadable and oversized messages from the orchestrator', async () => {
    const t = await setup();
    await t.claimed('T-4');
    const good = grant('T-4');
    const [head, data] = good.split('\n') as [string, string];
    await t.post(ORCH, `${head.replace(' — ', ' garbage!! — ')}\n${data}`);
    await t.post(ORCH, `${head}\n{"task": not json`);
    await t.post(ORCH, `${head}\n${data}\n{"second":"line"}`);
    await t.post(ORCH, `${head}\n${data.replace('"timeoutMs":60000', '"timeoutMs":"soon"')}`);
    await t.post(ORCH, `/grant@coder_bot T-4#0 agent=${ID} leaseMs=60000`);
    await t.post(
      ORCH,
      `${head}\n${JSON.stringify({ task: { ...TASK, body: 'x'.repeat(PROTOCOL_LIMITS.maxMessageChars) } })}`,
    );
    // Addressed to another agent: not this one's business, not even to log.
    await t.post(ORCH, `/grant@writer_bot T-4#1 agent=writer-002 junk`);
    const unreadable = t.warned(/unreadable message from the orchestrator/);
    expect(unreadable.map((l) => l.fields?.reason)).toEqual([
      'malformed',
      'malformed',
      'malformed',
      'malformed',
      'malformed',
      'oversized',
    ]);
    expect(String(unreadable[0]?.fields?.detail)).toMatch(/cannot read 'garbage!!'/);
    expect(t.started).toEqual([]);
    expect(t.said('release')).toEqual([]);
    // The claim is intact: the well-formed grant starts the worker.
    await t.post(ORCH, good);
    await waitFor('worker started', () => t.started.length === 1, 5_000);
    expect(t.crashes).toEqual([]);
  });

  it('ignores people and other bots imitating the orchestrator, and logs them within a cap', async () => {
    const t = await setup();
    await t.claimed('T-5');
    for (const impostor of [ALICE, OTHER_BOT]) {
      await t.post(impostor, grant('T-5'));
      await t.post(impostor, offer('T-6'));
    }
    expect(t.started).toEqual([]);
    expect(t.said('claim').map((m) => m.verb === 'claim' && m.tag.taskId)).toEqual(['T-5']);
    const imitations = t.warned(/not the orchestrator/);
    expect(imitations.map((l) => [l.fields?.author, l.fields?.verb])).toEqual([
      ['alice', 'grant'],
      ['alice', 'offer'],
      ['bot-x', 'grant'],
      ['bot-x', 'offer'],
    ]);
    // Ordinary chat, and protocol messages to someone else, are not logged at all.
    await t.post(ALICE, 'hello everyone, /grant is a word');
    await t.post(ALICE, '/stop@writer_bot T-5#1 why=cancelled');
    expect(t.warned(/not the orchestrator/)).toHaveLength(4);

    await t.post(ORCH, grant('T-5'));
    await waitFor('worker started', () => t.started.length === 1, 5_000);
    // A forged stop does not stop the worker; a flood of them is logged at most so many times.
    for (let i = 0; i < AGENT_INBOX_DEFAULTS.logsPerMinute + 20; i++) t.hub.post(ALICE, stop('T-5'));
    t.hub.post(OTHER_BOT, say({ verb: 'refused', to: 'coder_bot', tag: tag('T-5'), why: 'stale' }));
    await t.hub.idle();
    expect(t.aborted).toEqual([]);
    expect(t.agent.busy).toBe(1);
    expect(t.warned(/not the orchestrator/)).toHaveLength(AGENT_INBOX_DEFAULTS.logsPerMinute);
    expect(t.crashes).toEqual([]);
  });

  it('acts once on a message delivered twice', async () => {
    const t = await setup();
    const offered = await t.post(ORCH, offer('T-7'));
    await waitFor('claim', () => t.said('claim').length === 1, 5_000);
    await t.post(ORCH, say({ verb: 'taken', to: 'coder_bot', tag: tag('T-7'), why: 'taken' }));
    // The offer again, as the same platform message: no second claim.
    await t.redeliver(offered);
    await t.hub.idle();
    expect(t.said('claim')).toHaveLength(1);
    await t.claimed('T-8');
    const granted = await t.post(ORCH, grant('T-8'));
    await waitFor('worker started', () => t.started.length === 1, 5_000);
    await t.redeliver(granted);
    expect(t.started).toEqual(['T-8']);
    expect(t.said('release')).toEqual([]);
    expect(t.crashes).toEqual([]);
  });
});
