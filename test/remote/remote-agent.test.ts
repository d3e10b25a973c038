import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFunctionWorker, type WorkerFunction } from '../../src/agents/function-worker.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';
import type { Orchestrator } from '../../src/orchestrator/orchestrator.ts';
import {
  RemoteAgent,
  type RemoteAgentOptions,
  type RemoteAgentSettings,
} from '../../src/remote/remote-agent.ts';
import { RemoteStore } from '../../src/remote/remote-store.ts';
import { expectAuditPasses } from '../support/expect-audit.ts';
import { MemoryHub, type HubParticipant } from '../support/memory-hub.ts';
import { tempDir, tempLedger } from '../support/temp-ledger.ts';
import { createTestOrchestrator } from '../support/test-orchestrator.ts';
import { waitFor } from '../support/wait-for.ts';

const ORCH: HubParticipant = { id: 'orch', name: 'swarm', isBot: true, username: 'swarm_bot' };
const BOTS: Record<string, HubParticipant> = {
  'coder-001': { id: 'bot-c', name: 'coder bot', isBot: true, username: 'coder_bot' },
  'writer-002': { id: 'bot-w', name: 'writer bot', isBot: true, username: 'writer_bot' },
};
const ALICE: HubParticipant = { id: 'alice', name: 'alice', isBot: false };

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

const FAST: Partial<RemoteAgentSettings> = {
  loopMs: 20,
  idleHelloMs: 200,
  claimTimeoutMs: 2_000,
  resultResendMs: 300,
};

async function setup(leaseMs = 3_000) {
  const ledger = tempLedger({ leaseMs, retryBaseMs: 0 });
  const hub = new MemoryHub();
  const orchestrator: Orchestrator = createTestOrchestrator(ledger, hub.port(ORCH), {
    sweepIntervalMs: 100,
    remote: {
      agents: Object.entries(BOTS).map(([id, bot]) => ({ id, botUserId: bot.id, handle: bot.username! })),
      workDir: tempDir(),
      settings: { tickMs: 20, presenceTtlMs: 2_000 },
    },
  });
  await orchestrator.start();
  stops.push(() => orchestrator.stop());
  const storeDir = (id: string) => join(tempDir(), id);
  const dirs = new Map<string, string>();
  const startAgent = async (
    id: string,
    fn: WorkerFunction,
    extra: Partial<RemoteAgentSettings> = {},
    more: Partial<RemoteAgentOptions> = {},
  ) => {
    const dir = dirs.get(id) ?? storeDir(id);
    dirs.set(id, dir);
    const agent = new RemoteAgent({
      port: hub.port(BOTS[id]!),
      id,
      skills: ['code'],
      capacity: 1,
      worker: createFunctionWorker(fn),
      workRoot: join(dir, 'tasks'),
      store: new RemoteStore(dir),
      handle: BOTS[id]!.username!,
      orchestrator: { botUserId: ORCH.id, handle: 'swarm_bot' },
      log: silentLogger,
      settings: { ...FAST, ...extra },
      ...more,
    });
    await agent.start();
    stops.push(() => agent.stop());
    return agent;
  };
  return { ledger, hub, orchestrator, startAgent };
}

async function drained(orchestrator: Orchestrator, ledger: Ledger): Promise<void> {
  expect(await orchestrator.poster.drain(5_000)).toBe(0);
  await expectAuditPasses(ledger);
}

describe('RemoteAgent with the orchestrator', () => {
  it('does a task remotely, with progress, a question a person answers, and an artifact', async () => {
    const { ledger, hub, orchestrator, startAgent } = await setup();
    await startAgent('coder-001', async (ctx) => {
      ctx.progress(30, 'thinking');
      const tone = await ctx.ask('Playful or formal?');
      writeFileSync(join(ctx.workDir, 'post.md'), `# ${tone}`);
      ctx.artifact('post.md');
      return `a ${tone} post about ${ctx.task.title}`;
    });
    const { task } = ledger.createTask({ title: 'Write the post', skills: ['code'] }, 'alice');
    await waitFor('question', () => ledger.getTask(task.id)?.status === 'blocked', 10_000);
    hub.post(ALICE, `/answer ${task.id} formal`);
    await waitFor('done', () => ledger.getTask(task.id)?.status === 'done', 10_000);
    expect(ledger.getTask(task.id)?.result).toBe('a formal post about Write the post');
    const done = ledger.events({ taskId: task.id }).find((e) => e.type === 'task_done');
    expect((done?.data.artifacts as { path: string }[])[0]?.path).toMatch(/post\.md$/);
    await drained(orchestrator, ledger);
  });

  it("refuses a worker's symbolic link to a file outside its attempt folder (or a file with its token), and says why in the channel", async () => {
    const { ledger, hub, orchestrator, startAgent } = await setup();
    const outside = join(tempDir(), 'secret.txt');
    writeFileSync(outside, 'not for the swarm');
    const token = 'bot-token-of-coder-001-0123456789';
    await startAgent(
      'coder-001',
      async (ctx) => {
        symlinkSync(outside, join(ctx.workDir, 'leak.txt'));
        writeFileSync(join(ctx.workDir, 'notes.txt'), 'fine');
        writeFileSync(join(ctx.workDir, 'token.txt'), `found ${token}`);
        ctx.artifact('leak.txt');
        ctx.artifact(outside);
        ctx.artifact('token.txt');
        ctx.artifact('notes.txt');
        return 'linked';
      },
      {},
      { secrets: [token] },
    );
    const { task } = ledger.createTask({ title: 'Link it', skills: ['code'] }, 'alice');
    await waitFor('done', () => ledger.getTask(task.id)?.status === 'done', 10_000);
    const result = ledger.getTask(task.id)!.result!;
    expect(result.split('\n')).toEqual([
      'linked',
      'artifact leak.txt not attached: a symbolic link',
      `artifact ${outside} not attached: outside the attempt folder`,
      'artifact token.txt not attached: contains a secret of this swarm',
    ]);
    const done = ledger.events({ taskId: task.id }).find((e) => e.type === 'task_done');
    const artifacts = done?.data.artifacts as { name: string; path: string }[];
    expect(artifacts.map((a) => a.name)).toEqual(['notes.txt']);
    expect(readFileSync(artifacts[0]!.path, 'utf8')).toBe('fine');
    await drained(orchestrator, ledger);
    // The reason reached the channel, and the outside file's content went nowhere.
    const channel = hub.entries.map((e) => `${e.text}\n${e.attachment?.content.toString('utf8') ?? ''}`);
    expect(channel.some((t) => t.includes('leak.txt not attached: a symbolic link'))).toBe(true);
    expect(channel.some((t) => t.includes('not for the swarm') || t.includes(token))).toBe(false);
  });

  it('shows in the chat which agents are remote and when each was last heard from', async () => {
    const { ledger, hub, orchestrator, startAgent } = await setup();
    await startAgent('coder-001', () => 'done');
    await waitFor('registered', () => ledger.getAgent('coder-001')?.status === 'active', 10_000);
    ledger.registerAgent({ id: 'local-1', skills: ['code'], capacity: 1, pid: process.pid });
    hub.post(ALICE, '/agents');
    const reply = await waitFor(
      'the /agents reply',
      () => hub.textsBy(ORCH.id).find((t) => t.includes('local-1')),
      10_000,
    );
    expect(reply).toMatch(/coder-001 \(remote\).*last heard \d+s ago/);
    expect(reply).not.toMatch(/local-1 \(remote\)/);
    await drained(orchestrator, ledger);
  });

  it('stops the remote worker when the task is cancelled', async () => {
    const { ledger, hub, orchestrator, startAgent } = await setup();
    let aborted = '';
    await startAgent(
      'coder-001',
      (ctx) =>
        new Promise<string>((resolve) => {
          ctx.signal.addEventListener('abort', () => {
            aborted = String(ctx.signal.reason);
            resolve('stopped');
          });
        }),
    );
    const { task } = ledger.createTask({ title: 'Long job', skills: ['code'] }, 'alice');
    await waitFor('claimed', () => ledger.getTask(task.id)?.status === 'claimed', 10_000);
    hub.post(ALICE, `/cancel ${task.id}`);
    await waitFor('worker stopped', () => aborted, 10_000);
    expect(aborted).toMatch(/cancelled/);
    expect(ledger.getTask(task.id)?.status).toBe('cancelled');
    await drained(orchestrator, ledger);
  });

  it("times a remote worker out as a local one, the clock paused while a person's answer is awaited", async () => {
    const { ledger, hub, orchestrator, startAgent } = await setup();
    await startAgent('coder-001', async (ctx) => {
      if (ctx.task.title === 'Patient') return `answer: ${await ctx.ask('Which one?')}`;
      return new Promise<string>((resolve) =>
        ctx.signal.addEventListener('abort', () => resolve(`stopped: ${String(ctx.signal.reason)}`)),
      );
    });
    // Over its 1 s timeout only while the question waits: that time does not count.
    const patient = ledger.createTask(
      { title: 'Patient', skills: ['code'], timeoutMs: 1_000, maxAttempts: 1 },
      'alice',
    ).task;
    await waitFor('question', () => ledger.getTask(patient.id)?.status === 'blocked', 10_000);
    await new Promise((r) => setTimeout(r, 1_500));
    hub.post(ALICE, `/answer ${patient.id} the blue one`);
    await waitFor('answered and done', () => ledger.getTask(patient.id)?.status === 'done', 10_000);
    expect(ledger.getTask(patient.id)?.result).toBe('answer: the blue one');
    // A worker that never finishes is stopped at its timeout and the attempt fails with the reason.
    const stuck = ledger.createTask(
      { title: 'Stuck', skills: ['code'], timeoutMs: 1_000, maxAttempts: 1 },
      'alice',
    ).task;
    await waitFor('timed out', () => ledger.getTask(stuck.id)?.status === 'failed', 15_000);
    expect(ledger.getTask(stuck.id)?.lastError).toMatch(/timed out after 1s/);
    await drained(orchestrator, ledger);
  });

  it('delivers a result kept over a restart once, and a late one after an outage is refused', async () => {
    const { ledger, hub, orchestrator, startAgent } = await setup(1_500);
    // The writer finishes while cut off: its heartbeats stop, the lease runs out, the coder redoes it.
    let release: (() => void) | undefined;
    const writer = await startAgent(
      'writer-002',
      () => new Promise<string>((r) => (release = () => r('late work'))),
    );
    const { task } = ledger.createTask({ title: 'Contested', skills: ['code'] }, 'alice');
    await waitFor('writer working', () => writer.busy === 1, 10_000);
    hub.setCut('bot-w', true);
    await waitFor('lease expired', () => ledger.getTask(task.id)?.status === 'queued', 10_000);
    await startAgent('coder-001', () => 'fresh work');
    await waitFor('coder done', () => ledger.getTask(task.id)?.status === 'done', 10_000);
    release!();
    await waitFor('kept in the store', () => writer.undelivered === 1, 5_000);
    hub.setCut('bot-w', false);
    await waitFor('refused and forgotten', () => writer.undelivered === 0, 10_000);
    expect(ledger.getTask(task.id)).toMatchObject({ status: 'done', result: 'fresh work', owner: null });
    expect(ledger.events({ taskId: task.id }).filter((e) => e.type === 'stale_write_refused')).toHaveLength(
      1,
    );
    expect(ledger.events({ taskId: task.id }).filter((e) => e.type === 'task_done')).toHaveLength(1);
    await drained(orchestrator, ledger);
  });

  it('keeps an undelivered result across its own restart and delivers it once', async () => {
    const { ledger, hub, orchestrator, startAgent } = await setup(5_000);
    let finish: (() => void) | undefined;
    const first = await startAgent(
      'coder-001',
      () => new Promise<string>((r) => (finish = () => r('survived'))),
    );
    const { task } = ledger.createTask({ title: 'Survive', skills: ['code'] }, 'alice');
    await waitFor('working', () => first.busy === 1, 10_000);
    hub.setCut('bot-c', true);
    finish!();
    await waitFor('kept', () => first.undelivered === 1, 5_000);
    await first.stop(); // the process goes away with the result still in its store
    hub.setCut('bot-c', false);
    const second = await startAgent('coder-001', () => 'not run');
    await waitFor('delivered', () => ledger.getTask(task.id)?.status === 'done', 10_000);
    await waitFor('acknowledged', () => second.undelivered === 0, 10_000);
    expect(ledger.getTask(task.id)?.result).toBe('survived');
    expect(ledger.events({ taskId: task.id }).filter((e) => e.type === 'task_done')).toHaveLength(1);
    await drained(orchestrator, ledger);
  });
});
