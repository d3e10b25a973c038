import { afterEach, describe, expect, it } from 'vitest';
import type { ChatPort, OutgoingMessage, SentMessage } from '../../src/chat/chat-port.ts';
import { createMemoryChannel, type MemoryChannel } from '../../src/chat/memory-channel.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';
import type { Orchestrator } from '../../src/orchestrator/orchestrator.ts';
import { queued, tempLedger } from '../support/temp-ledger.ts';
import { createTestOrchestrator } from '../support/test-orchestrator.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * The order the poster empties a backlog in (outbox-poster.ts, mirror-plan.ts, OUTBOX_PRIORITY):
 * urgent before normal before low across tasks, each task's details in event order, and a burst of
 * progress collapsing into one status edit. The backlog builds up behind a send the test holds.
 */

/** One send or edit that reached the channel, in the order the poster made them. */
interface PortCall {
  op: 'send' | 'edit';
  kind: 'status' | 'detail' | 'reply' | 'other';
  taskId: string | undefined;
  text: string;
}

interface GatedChannel extends ChatPort {
  readonly inner: MemoryChannel;
  readonly calls: PortCall[];
  /** Holds the next send or edit until `release()`; resolves once that call is being held. */
  holdNext(): Promise<void>;
  release(): void;
}

const TASK_IN_HEADING = /\b(T-\d+) ·/;

/** A memory channel whose next write can be held, so the poster stalls while the test writes. */
function gatedChannel(): GatedChannel {
  const inner = createMemoryChannel();
  const calls: PortCall[] = [];
  let armed: (() => void) | undefined;
  let held: (() => void) | undefined;

  const gate = async (): Promise<void> => {
    const onHeld = armed;
    if (!onHeld) return;
    armed = undefined;
    await new Promise<void>((resolve) => {
      held = resolve;
      onHeld();
    });
  };

  const record = (
    op: PortCall['op'],
    m: Pick<OutgoingMessage, 'heading' | 'text'> & Partial<OutgoingMessage>,
  ) => {
    const headingTask = m.heading ? TASK_IN_HEADING.exec(m.heading)?.[1] : undefined;
    if (m.under) calls.push({ op, kind: 'detail', taskId: m.under.taskId, text: m.text });
    else if (headingTask) calls.push({ op, kind: 'status', taskId: headingTask, text: m.text });
    else if (m.replyToMessageId) calls.push({ op, kind: 'reply', taskId: undefined, text: m.text });
    else calls.push({ op, kind: 'other', taskId: undefined, text: m.text });
  };

  return {
    inner,
    calls,
    platform: inner.platform,
    limits: inner.limits,
    start: (onMessage) => inner.start(onMessage),
    stop: () => inner.stop(),
    async send(message: OutgoingMessage): Promise<SentMessage> {
      await gate();
      record('send', message);
      return inner.send(message);
    },
    async edit(target, message): Promise<void> {
      await gate();
      record('edit', message);
      return inner.edit(target, message);
    },
    closeDetails: (anchor) => inner.closeDetails(anchor),
    holdNext() {
      return new Promise<void>((resolve) => {
        armed = resolve;
      });
    },
    release() {
      armed = undefined;
      const r = held;
      held = undefined;
      r?.();
    },
  };
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

async function startSwarm(): Promise<{ ledger: Ledger; port: GatedChannel; orch: Orchestrator }> {
  const ledger = tempLedger();
  const port = gatedChannel();
  // A threshold far above the backlog: no digest may reorder or merge anything here.
  const orch = createTestOrchestrator(ledger, port, { poster: { digestThreshold: 1_000 } });
  await orch.start();
  // Release before stopping: a held send would keep the poster's loop from ending.
  stops.push(async () => {
    port.release();
    await orch.stop();
  });
  return { ledger, port, orch };
}

const agent = { id: 'a1', skills: [] };

function claim(ledger: Ledger, taskId: string): { taskId: string; attempt: number; agentId: string } {
  const c = ledger.claimTask(taskId, agent);
  if (c.kind !== 'claimed') throw new Error(`could not claim ${taskId}: ${c.kind}`);
  return { taskId, attempt: c.attempt, agentId: agent.id };
}

/** Lets the poster loop run (it is held, so it must not send anything meanwhile). */
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

/** Stalls the poster on a note under `taskId`; returns how many calls came before the held one. */
async function holdPoster(ledger: Ledger, port: GatedChannel, orch: Orchestrator, taskId: string) {
  const held = port.holdNext();
  ledger.addNote(taskId, 'holding the line', 'test');
  orch.poster.kick();
  await held;
  return port.calls.length;
}

function label(c: PortCall): string {
  return `${c.taskId ?? '-'} ${c.kind}: ${c.text.split('\n', 1)[0] ?? ''}`;
}

describe('poster priority order', () => {
  it('sends urgent rows before normal before low across tasks, each task’s details in event order', async () => {
    const { ledger, port, orch } = await startSwarm();
    const titles = ['progresses', 'claimed late', 'finishes', 'asks', 'claimed and done', 'spare', 'breaks'];
    for (const title of titles) ledger.createTask({ title, maxAttempts: 1 }, 'test');
    const refs = {
      t1: claim(ledger, 'T-1'),
      t3: claim(ledger, 'T-3'),
      t4: claim(ledger, 'T-4'),
      t7: claim(ledger, 'T-7'),
    };
    expect(await orch.poster.drain(10_000)).toBe(0);

    const before = await holdPoster(ledger, port, orch, 'T-6');
    // The backlog, written while the poster sits on the held note; ticks give it every chance to move.
    ledger.progress(refs.t1, 30, 'reading'); // low
    await tick();
    claim(ledger, 'T-2'); // low status, normal claim line
    await tick();
    ledger.createTask({ title: 'arrives late' }, 'test'); // T-8: normal (a new task)
    await tick();
    const t5 = claim(ledger, 'T-5'); // its claim line (normal) is written before its result (urgent)
    await tick();
    ledger.progress(refs.t1, 60, 'writing'); // low, replaces the first progress
    await tick();
    ledger.complete(refs.t3, 'T-3 result'); // urgent
    await tick();
    ledger.ask(refs.t4, 'Which colour?'); // urgent
    await tick();
    ledger.complete(t5, 'T-5 result'); // urgent
    await tick();
    port.inner.postAsHuman('/status'); // a reply to a person: urgent
    await waitFor('the reply to /status queued', () =>
      ledger.db.prepare("SELECT 1 FROM outbox WHERE kind = 'reply'").get(),
    );
    ledger.fail(refs.t7, 'disk full'); // urgent (no attempts left)
    await tick();
    expect(port.calls).toHaveLength(before);

    port.release();
    expect(await orch.poster.drain(10_000)).toBe(0);
    const heldCall = port.calls[before]!;
    expect(heldCall.text).toContain('holding the line');
    const backlog = port.calls.slice(before + 1);
    const labels = backlog.map(label);

    const find = (taskId: string | undefined, kind: PortCall['kind'], text = ''): number => {
      const i = backlog.findIndex((c) => c.taskId === taskId && c.kind === kind && c.text.includes(text));
      expect(i, `${taskId ?? '-'} ${kind} ${text} in ${labels.join(' | ')}`).toBeGreaterThanOrEqual(0);
      return i;
    };
    const urgent = [
      find('T-3', 'status', 'done'),
      find('T-3', 'detail', '✅ result'),
      find('T-4', 'status', 'waiting for an answer'),
      find('T-4', 'detail', 'Which colour?'),
      find('T-5', 'status', 'done'),
      find('T-5', 'detail', '✅ result'),
      find(undefined, 'reply'),
      find('T-7', 'status', 'failed'),
      find('T-7', 'detail', '❌ failed'),
    ];
    const t5Claim = find('T-5', 'detail', 'claimed');
    const normal = [find('T-2', 'detail', 'claimed'), find('T-8', 'status')];
    const low = [find('T-1', 'status', 'writing'), find('T-2', 'status', 'working')];
    // Nothing else went out: the two progress refreshes of T-1 became one edit.
    expect(backlog, labels.join(' | ')).toHaveLength(urgent.length + 1 + normal.length + low.length);
    expect(backlog.filter((c) => c.taskId === 'T-1')).toHaveLength(1);

    expect(Math.max(...urgent), labels.join(' | ')).toBeLessThan(Math.min(...normal));
    expect(Math.max(...normal), labels.join(' | ')).toBeLessThan(Math.min(...low));
    // T-5's result picked T-5, but its older claim line still went first, so it overtook T-2's
    // claim line although T-2's was written earlier with the same priority.
    expect(t5Claim).toBeLessThan(find('T-5', 'detail', '✅ result'));
    expect(t5Claim).toBeLessThan(find('T-2', 'detail', 'claimed'));

    // Every task's details went out in the order their events happened.
    const rows = queued(ledger)
      .db.prepare("SELECT task_id, payload FROM outbox WHERE kind = 'detail' ORDER BY id")
      .all() as { task_id: string; payload: string }[];
    for (const taskId of ['T-2', 'T-3', 'T-4', 'T-5', 'T-7']) {
      const inEventOrder = rows
        .filter((r) => r.task_id === taskId)
        .map((r) => (JSON.parse(r.payload) as { text: string }).text);
      const asSent = port.inner
        .transcript()
        .filter((m) => m.underMessageId === ledger.outbox.taskMessage(taskId, 'main')?.messageId)
        .map((m) => m.text);
      expect(asSent, taskId).toEqual(inEventOrder);
    }
    expect(ledger.audit().problems).toEqual([]);
  });
});

describe('progress collapse', () => {
  const STEPS = 25;

  function statusRowsOf(ledger: Ledger, taskId: string, afterId: number): { id: number; status: string }[] {
    return queued(ledger)
      .db.prepare(
        "SELECT id, status FROM outbox WHERE task_id = ? AND kind = 'status' AND id > ? ORDER BY id",
      )
      .all(taskId, afterId) as { id: number; status: string }[];
  }

  const lastRowId = (ledger: Ledger): number =>
    (queued(ledger).db.prepare('SELECT MAX(id) AS id FROM outbox').get() as { id: number }).id;

  it('many progress events while the channel is stuck end in one edit showing the newest', async () => {
    const { ledger, port, orch } = await startSwarm();
    ledger.createTask({ title: 'long job' }, 'test');
    ledger.createTask({ title: 'bystander' }, 'test');
    const ref = claim(ledger, 'T-1');
    expect(await orch.poster.drain(10_000)).toBe(0);
    const mark = lastRowId(ledger);

    const before = await holdPoster(ledger, port, orch, 'T-2');
    for (let i = 1; i <= STEPS; i++) {
      expect(ledger.progress(ref, i * 4, `step ${i}`)).toEqual({ ok: true });
      await tick();
    }
    const whileHeld = statusRowsOf(ledger, 'T-1', mark);
    expect(whileHeld).toHaveLength(STEPS);
    expect(whileHeld.filter((r) => r.status === 'superseded')).toHaveLength(STEPS - 1);
    expect(whileHeld.at(-1)!.status).toBe('pending');

    port.release();
    expect(await orch.poster.drain(10_000)).toBe(0);
    const forT1 = port.calls.slice(before + 1).filter((c) => c.taskId === 'T-1');
    expect(forT1).toHaveLength(1);
    expect(forT1[0]).toMatchObject({ op: 'edit', kind: 'status' });
    expect(forT1[0]!.text).toContain(`100% step ${STEPS}`);

    const main = port.inner
      .transcript()
      .find((m) => m.messageId === ledger.outbox.taskMessage('T-1', 'main')?.messageId);
    expect(main?.text).toContain(`100% step ${STEPS}`);
    const after = statusRowsOf(ledger, 'T-1', mark);
    expect(after.filter((r) => r.status === 'superseded')).toHaveLength(STEPS - 1);
    expect(after.filter((r) => r.status === 'sent').map((r) => r.id)).toEqual([after.at(-1)!.id]);
    expect(ledger.audit().problems).toEqual([]);
  });

  it('progress that arrives while the task’s own edit is stuck also collapses into one more edit', async () => {
    const { ledger, port, orch } = await startSwarm();
    ledger.createTask({ title: 'long job' }, 'test');
    const ref = claim(ledger, 'T-1');
    expect(await orch.poster.drain(10_000)).toBe(0);
    const mark = lastRowId(ledger);

    const held = port.holdNext();
    ledger.progress(ref, 1, 'first step');
    orch.poster.kick();
    await held;
    const before = port.calls.length;
    for (let i = 2; i <= STEPS; i++) {
      ledger.progress(ref, i * 4, `step ${i}`);
      await tick();
    }
    port.release();
    expect(await orch.poster.drain(10_000)).toBe(0);

    const forT1 = port.calls.slice(before).filter((c) => c.taskId === 'T-1');
    // The held edit (rendered before the burst), then one edit with the newest state.
    expect(forT1.map((c) => c.op)).toEqual(['edit', 'edit']);
    expect(forT1[0]!.text).toContain('first step');
    expect(forT1[1]!.text).toContain(`100% step ${STEPS}`);
    const rows = statusRowsOf(ledger, 'T-1', mark);
    expect(rows).toHaveLength(STEPS);
    expect(rows.filter((r) => r.status === 'superseded')).toHaveLength(STEPS - 2);
    expect(rows.at(-1)!.status).toBe('sent');
    expect(ledger.audit().problems).toEqual([]);
  });
});
