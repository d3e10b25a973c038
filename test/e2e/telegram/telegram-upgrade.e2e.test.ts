/**
 * The swarm's group is upgraded to a supergroup while the swarm runs (Telegram gives it a new chat id
 * and numbers its messages afresh), and the swarm is restarted with the group's old id still in its
 * config: tasks get new messages in the supergroup once, nothing there is edited by mistake, and the
 * restart is not taken for another move.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../support/wait-for.ts';
import { createTelegramSwarmFixture, type TelegramSwarmFixture } from './telegram-swarm-fixture.ts';

let fx: TelegramSwarmFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

describe('telegram: the group upgraded to a supergroup', () => {
  it('posts each task anew in the supergroup once, edits nothing of someone else’s, survives a restart', async () => {
    fx = await createTelegramSwarmFixture({ timeScale: 20 });
    const f = fx;
    const group = f.fake.createChat('Old group', {
      type: 'group',
      members: [f.alice, { account: f.orchestratorBot, status: 'administrator' }],
    });
    const first = await f.startOrchestrator({ channel: { chatId: group.id } });
    f.ledger.createTask({ title: 'paint the shed' }, 'alice');
    f.ledger.createTask({ title: 'mow the lawn' }, 'alice');
    expect(await first.orchestrator.poster.drain(20_000)).toBe(0);

    const superId = f.fake.migrateToSupergroup(group.id);
    f.fake.postAsUser(superId, f.alice.id, 'hello');
    f.fake.postAsUser(superId, f.alice.id, 'anyone there?');
    f.ledger.cancel('T-1', 'alice', 'not this year');
    const swarmLines = () => f.fake.transcript(superId).filter((l) => l.fromUsername === 'swarm_bot');
    // The edit of T-1's group message is not repeated in the supergroup; the poster moves the
    // channel there and shows both open tasks' status afresh.
    await waitFor('T-1 and T-2 shown in the supergroup', () =>
      ['T-1 ·', 'T-2 ·'].every((h) => swarmLines().some((l) => l.text.includes(h))),
    );
    expect(await first.orchestrator.poster.drain(20_000)).toBe(0);
    const people = f.fake.transcript(superId).filter((l) => l.fromUsername === 'alice' && l.text !== '');
    expect(people.map((l) => [l.text, l.edits])).toEqual([
      ['hello', []],
      ['anyone there?', []],
    ]);
    expect(f.log.lines.filter((l) => l.msg.startsWith('channel moved to another chat'))).toHaveLength(1);
    const shown = swarmLines().length;
    await first.stop();

    // Restarted with the old group's id still in the config.
    const second = await f.startOrchestrator({ channel: { chatId: group.id } });
    f.ledger.createTask({ title: 'rake the leaves' }, 'alice');
    f.ledger.cancel('T-2', 'alice');
    await waitFor('T-3 shown', () => swarmLines().some((l) => l.text.includes('T-3 ·')));
    expect(await second.orchestrator.poster.drain(20_000)).toBe(0);
    // Each task has one message in the supergroup: T-2's was edited and its cancel line replies
    // to it there; T-3's is the one new main message.
    for (const heading of ['T-1 ·', 'T-2 ·', 'T-3 ·'])
      expect(swarmLines().filter((l) => l.text.includes(heading))).toHaveLength(1);
    const t2 = swarmLines().find((l) => l.text.includes('T-2 ·'))!;
    expect(
      swarmLines()
        .slice(shown)
        .map((l) => l.replyTo ?? l.text.split('\n')[0]),
    ).toEqual([t2.messageId, '⏳ T-3 · rake the leaves']);
    expect(swarmLines().find((l) => l.text.includes('T-2 ·'))!.edits.length).toBeGreaterThan(0);
    expect(f.log.lines.filter((l) => l.msg.startsWith('channel moved to another chat'))).toHaveLength(1);
    expect(f.ledger.audit().problems).toEqual([]);
  }, 60_000);
});
