import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.ts';
import type { FakeDiscord } from '../../fakes/discord/fake-discord-server.ts';
import { renderDiscordContent } from '../../adapters/discord/render-discord-markdown.ts';
import { tempLedger } from '../../support/temp-ledger.ts';
import { waitFor } from '../../support/wait-for.ts';
import { AGENT_BOTS, startSwarmFake, startSwarmOnDiscord, unescaped } from './discord-swarm-kit.ts';
import { expectAuditPasses } from '../../support/expect-audit.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A thread's messages as a person reads them: author and unescaped text. */
function threadLines(fake: FakeDiscord, threadId: string): Array<{ author: string; text: string }> {
  return fake.transcript(threadId).map((m) => ({ author: m.authorName, text: unescaped(m.content) }));
}

describe('a swarm on the fake Discord server', () => {
  it('runs the people-in-the-loop scenario with threads per task, no 429 and a clean audit', async () => {
    const fake = await startSwarmFake();
    cleanups.push(() => fake.close());
    const ledger = tempLedger();
    const swarm = await startSwarmOnDiscord(fake, ledger, silentLogger);
    cleanups.push(() => swarm.stop());

    swarm.agent('designer-001', ['design'], async (ctx) => `logo in ${await ctx.ask('which colour?')}`);
    swarm.agent('writer-002', ['write'], async (ctx) => {
      // Works until someone cancels the task.
      await new Promise<void>((resolve) => {
        if (ctx.signal.aborted) resolve();
        ctx.signal.addEventListener('abort', () => resolve());
      });
      return 'never finished';
    });
    const notesSeen: string[][] = [];
    swarm.agent('coder-003', ['code'], (ctx) => {
      notesSeen.push([...ctx.task.notes]);
      return ctx.task.notes.some((n) => n.includes('handle empty input'))
        ? 'parser v2: handles empty input'
        : 'parser v1';
    });

    const posted: string[] = [];
    const post = (
      user: string,
      text: string,
      opts: { channelId?: string; replyTo?: string } = {},
    ): string => {
      const id = fake.post(user, text, opts);
      posted.push(id);
      return id;
    };
    post('alice', '/task Design a logo skills=design');
    post('alice', '/task Write the docs skills=write');
    post('alice', '/task Build the parser skills=code review=yes');
    await waitFor('three tasks', () => ledger.listTasks().length === 3, 30_000);
    expect(ledger.listTasks().map((t) => [t.id, t.title])).toEqual([
      ['T-1', 'Design a logo'],
      ['T-2', 'Write the docs'],
      ['T-3', 'Build the parser'],
    ]);

    // bob has no admin role: refused, with a reply saying why.
    const refused = post('bob', '/cancel T-1');
    const refusal = await waitFor(
      'refusal',
      () => fake.transcript().find((m) => m.replyTo === refused),
      30_000,
    );
    expect(unescaped(refusal.content)).toMatch(/needs an admin/);

    // alice answers the designer's question by replying to it in T-1's thread.
    const t1 = await waitFor('T-1 main message', () => ledger.outbox.taskMessage('T-1', 'main'), 30_000);
    const question = await waitFor(
      'question in the thread',
      () => fake.transcript(t1.messageId).find((m) => m.content.includes('which colour?')),
      30_000,
    );
    expect(question.authorName).toBe('designer-bot');
    post('alice', 'teal', { channelId: t1.messageId, replyTo: question.id });
    await waitFor('T-1 done', () => ledger.getTask('T-1')?.status === 'done', 30_000);
    expect(ledger.getTask('T-1')!.result).toBe('logo in teal');

    // alice cancels the writer's running task.
    await waitFor('T-2 claimed', () => ledger.getTask('T-2')?.status === 'claimed', 30_000);
    post('alice', '/cancel T-2 not needed any more');
    await waitFor('T-2 cancelled', () => ledger.getTask('T-2')?.status === 'cancelled', 30_000);

    // alice rejects the first result in T-3's thread; the redo sees the feedback, and she approves it.
    await waitFor('T-3 in review', () => ledger.getTask('T-3')?.status === 'review', 30_000);
    const t3 = ledger.outbox.taskMessage('T-3', 'main')!;
    post('alice', '/reject T-3 handle empty input', { channelId: t3.messageId });
    await waitFor(
      'T-3 redone',
      () => ledger.getTask('T-3')?.status === 'review' && notesSeen.length === 2,
      30_000,
    );
    post('alice', '/approve T-3');
    await waitFor('T-3 done', () => ledger.getTask('T-3')?.status === 'done', 30_000);
    expect(notesSeen).toEqual([[], ['review feedback: handle empty input']]);
    expect(ledger.getTask('T-3')!.result).toBe('parser v2: handles empty input');

    expect(await swarm.orchestrator.poster.drain(60_000)).toBe(0);
    await waitFor(
      'finished threads archived',
      () => fake.threads(fake.channelId).length === 3 && fake.threads().every((t) => t.archived),
      30_000,
    );

    // The channel holds one main message per task, edited in place to its final state.
    const top = fake.transcript();
    const finalHeadings = { 'T-1': '✅ T-1 · Design a logo', 'T-2': '🛑 T-2 · Write the docs' };
    for (const [taskId, heading] of Object.entries({
      ...finalHeadings,
      'T-3': '✅ T-3 · Build the parser',
    })) {
      const main = ledger.outbox.taskMessage(taskId, 'main')!;
      const mains = top.filter((m) => m.content.includes(`${taskId} · `));
      expect(mains.map((m) => m.id)).toEqual([main.messageId]);
      expect(renderDiscordContent(mains[0]!.content).heading).toBe(heading);
      expect(mains[0]!.authorName).toBe('orchestrator');
      expect(mains[0]!.hasThread).toBe(true);
    }

    // Each task's thread holds its claim and result lines, agents speaking under their own bots.
    const t1Lines = threadLines(fake, t1.messageId);
    expect(t1Lines).toContainEqual({ author: AGENT_BOTS['designer-001'], text: 'claimed (try 1 of 3)' });
    expect(t1Lines).toContainEqual({ author: 'alice', text: 'teal' });
    expect(t1Lines.at(-1)).toEqual({ author: 'designer-bot', text: '✅ result:\nlogo in teal' });
    const t2Lines = threadLines(fake, ledger.outbox.taskMessage('T-2', 'main')!.messageId);
    expect(t2Lines[0]).toEqual({ author: AGENT_BOTS['writer-002'], text: 'claimed (try 1 of 3)' });
    expect(t2Lines.map((l) => l.text)).toContain('🛑 cancelled by alice: not needed any more');
    const t3Texts = threadLines(fake, t3.messageId).map((l) => `${l.author}: ${l.text.split('\n')[0]}`);
    expect(t3Texts).toEqual([
      'coder-bot: claimed (try 1 of 3)',
      'coder-bot: 📝 result for review:',
      'alice: /reject T-3 handle empty input',
      'orchestrator: ↩️ rejected by alice: handle empty input',
      'coder-bot: claimed (try 1 of 3)',
      'coder-bot: 📝 result for review:',
      'orchestrator: ✅ approved by alice',
    ]);

    // Only the orchestrator holds a gateway connection; the agents' bots only used REST.
    expect(fake.gateway.counters.identifies).toBe(1);
    const agentBotIds = new Set(Object.values(AGENT_BOTS).map((name) => fake.bot(name).id));
    expect(fake.requests.some((r) => r.botId !== null && agentBotIds.has(r.botId))).toBe(true);

    // Every person's message was applied once; nothing bounced off a limit; the ledger audits clean.
    const inbox = ledger.db.prepare('SELECT message_id FROM inbox ORDER BY message_id').all() as {
      message_id: string;
    }[];
    expect(inbox.map((r) => r.message_id).sort()).toEqual([...posted].sort());
    expect(fake.counters.served429).toBe(0);
    expect(fake.unknownRoutes).toEqual([]);
    await expectAuditPasses(ledger);
  }, 120_000);
});
