import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { parseCommand } from '../../src/commands/command-grammar.ts';
import { Ledger } from '../../src/ledger/ledger.ts';
import { collect } from '../support/spawn-ts.ts';
import { tempDir } from '../support/temp-ledger.ts';
import { fakeIo, spawnCliIn } from './cli-process.ts';

const ENV = { USER: 'tester' };
const ACTOR = 'cli [tester]';

/** A ledger with T-1 blocked on a question, T-2 in review, T-3 queued, and agent coder-001. */
function swarm(): { db: string; ledger: Ledger } {
  const db = join(tempDir(), 'swarm.db');
  const ledger = Ledger.open(db, { synchronous: 'normal' });
  ledger.registerAgent({ id: 'coder-001', skills: ['code'], capacity: 3 });
  const agent = { id: 'coder-001', skills: ['code'] };
  ledger.createTask({ title: 'asks', skills: ['code'], priority: 9 }, 'test');
  ledger.createTask({ title: 'reviewed', skills: ['code'], review: true, priority: 8 }, 'test');
  const one = ledger.claimNext(agent);
  const two = ledger.claimNext(agent);
  if (one.kind !== 'claimed' || two.kind !== 'claimed') throw new Error('setup: claims failed');
  ledger.ask({ taskId: 'T-1', attempt: one.attempt, agentId: 'coder-001' }, 'which colour?');
  ledger.complete({ taskId: 'T-2', attempt: two.attempt, agentId: 'coder-001' }, 'a result');
  ledger.createTask({ title: 'waits' }, 'test');
  return { db, ledger };
}

async function run(args: string[], db: string, stdin?: string) {
  const r = fakeIo({ env: ENV, ...(stdin !== undefined ? { stdin } : {}) });
  const code = await main([...args, '--db', db], r.io);
  return { code, out: r.stdout(), err: r.stderr() };
}

const lastEvent = (ledger: Ledger, taskId?: string) => ledger.events(taskId ? { taskId } : {}).at(-1)!;

describe('steering tasks from the shell, as the chat does', () => {
  it('answers a question with the words joined, recorded with the caller as actor', async () => {
    const { db, ledger } = swarm();
    expect(await run(['task', 'answer', 'T-1', 'teal,', 'like', '"the sea"'], db)).toMatchObject({
      code: 0,
      out: 'answered T-1',
    });
    expect(ledger.getTask('T-1')).toMatchObject({ status: 'claimed' });
    expect(lastEvent(ledger, 'T-1')).toMatchObject({
      type: 'task_answered',
      actor: ACTOR,
      data: { answer: 'teal, like "the sea"' },
    });
    ledger.close();
  });

  it('reads the text from standard input for -', async () => {
    const { db, ledger } = swarm();
    expect((await run(['task', 'note', '1', '-'], db, 'line one\nline two\n')).code).toBe(0);
    expect(ledger.getTask('T-1')!.notes.at(-1)).toContain('line one\nline two');
    ledger.close();
  });

  it('approves and rejects a task in review', async () => {
    const { db, ledger } = swarm();
    expect(await run(['task', 'reject', 'T-2', 'needs', 'tests'], db)).toMatchObject({ code: 0 });
    expect(ledger.getTask('T-2')).toMatchObject({ status: 'queued' });
    expect(lastEvent(ledger, 'T-2')).toMatchObject({
      type: 'task_rejected',
      actor: ACTOR,
      data: { feedback: 'needs tests' },
    });
    const other = swarm();
    expect(await run(['task', 'approve', 'T-2'], other.db)).toMatchObject({ code: 0, out: 'approved T-2' });
    expect(other.ledger.getTask('T-2')).toMatchObject({ status: 'done' });
    ledger.close();
    other.ledger.close();
  });

  it('assigns, sets the priority, pauses and resumes an agent and the whole swarm', async () => {
    const { db, ledger } = swarm();
    expect(await run(['task', 'assign', 'T-3', 'to', 'coder-001'], db)).toMatchObject({ code: 0 });
    expect(ledger.getTask('T-3')!.assignee).toBe('coder-001');
    expect(await run(['task', 'priority', '#3', '7'], db)).toMatchObject({ code: 0 });
    expect(ledger.getTask('T-3')!.priority).toBe(7);
    expect(await run(['pause', 'coder-001'], db)).toMatchObject({ code: 0, out: 'paused agent coder-001' });
    expect(ledger.getAgent('coder-001')!.status).toBe('paused');
    expect(await run(['resume', 'coder-001'], db)).toMatchObject({ code: 0 });
    expect(ledger.getAgent('coder-001')!.status).toBe('active');
    expect((await run(['pause'], db)).code).toBe(0);
    expect(ledger.isSwarmPaused()).toBe(true);
    expect(lastEvent(ledger)).toMatchObject({ type: 'swarm_paused', actor: ACTOR });
    expect((await run(['resume', 'all'], db)).code).toBe(0);
    expect(ledger.isSwarmPaused()).toBe(false);
    ledger.close();
  });

  it('refuses what the ledger refuses with one line, exit 1', async () => {
    const { db, ledger } = swarm();
    const cases: [string[], RegExp][] = [
      [['task', 'answer', 'T-3', 'x'], /T-3 has no open question \(it is queued\)/],
      [['task', 'approve', 'T-1'], /cannot approve T-1: it is blocked/],
      [['task', 'note', 'T-99', 'x'], /T-99/],
      [['task', 'assign', 'T-3', 'ghost-001'], /no agent ghost-001/],
      [['pause', 'ghost-001'], /no agent ghost-001/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args, db);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err).toMatch(message);
      expect(r.err.split('\n')).toHaveLength(1);
    }
    ledger.close();
  });

  it("refuses bad input with the chat grammar's own message and the usage, exit 2", async () => {
    const { db, ledger } = swarm();
    const cases: [string[], string][] = [
      [['task', 'priority', 'T-3', 'high'], '/priority T-3 high'],
      [['task', 'priority', 'T-3', '12'], '/priority T-3 12'],
      [['task', 'assign', 'T-3', 'Not An Id!'], '/assign T-3 Not An Id!'],
      [['task', 'answer', 'T-1'], '/answer T-1'],
      [['task', 'reject', 'T-2'], '/reject T-2'],
      [['task', 'approve', 'T-2', 'extra'], '/approve T-2 extra'],
      [['task', 'approve', 'nope/x'], '/approve nope/x'],
      [['pause', 'a', 'b'], '/pause a b'],
    ];
    for (const [args, chat] of cases) {
      const parsed = parseCommand(chat);
      if (parsed.kind !== 'error') throw new Error(`expected the chat to refuse ${chat}`);
      const r = await run(args, db);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.split('\n')[0]).toBe(parsed.message);
      expect(r.err).toMatch(/usage: chat-swarm (task )?\w+/);
    }
    expect(ledger.getTask('T-3')!.priority).toBe(5);
    ledger.close();
  });

  it('the real CLI answers a question with text piped on standard input', async () => {
    const { db, ledger } = swarm();
    const r = await collect(
      spawnCliIn(tempDir(), ['task', 'answer', 'T-1', '-', '--db', db], { stdin: 'blue\n', env: ENV }),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(lastEvent(ledger, 'T-1')).toMatchObject({
      type: 'task_answered',
      actor: ACTOR,
      data: { answer: 'blue' },
    });
    ledger.close();
  }, 60_000);
});
