import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeDiscord, type FakeDiscord } from './fake-discord-server.ts';
import { InteractionType, type FakeInteraction } from './fake-interactions.ts';

let fake: FakeDiscord;
let now = 1_700_000_000_000;

beforeEach(async () => {
  fake = await startFakeDiscord({ now: () => now });
});
afterEach(async () => {
  await fake.close();
});

function create(type: number = InteractionType.Component): FakeInteraction {
  return fake.interactions.create(fake.bot('orchestrator'), fake.user('alice'), fake.channelId, type, {
    custom_id: 'ts1:c:T-1:1',
    component_type: 2,
  });
}

async function rest(method: string, path: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${fake.apiBase}/v10${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

const callback = (i: FakeInteraction, body: unknown) =>
  rest('POST', `/interactions/${i.id}/${i.token}/callback`, body);
const appId = () => fake.bot('orchestrator').applicationId;

describe('fake discord interactions', () => {
  it('fails an interaction nobody answered within 3 seconds; a late callback is Unknown interaction', async () => {
    const i = create();
    now += 3_001;
    expect(fake.interaction(i.id)!.failed).toBe(true);
    const late = await callback(i, { type: 5, data: { flags: 64 } });
    expect(late).toMatchObject({ status: 404, body: { code: 10062 } });
  });

  it('takes one callback, then edits of the original and follow-ups; ephemeral stays private', async () => {
    const i = create();
    expect((await rest('POST', `/webhooks/${appId()}/${i.token}`, { content: 'early' })).status).toBe(404);
    expect((await callback(i, { type: 5, data: { flags: 64 } })).status).toBe(204);
    expect(await callback(i, { type: 5, data: { flags: 64 } })).toMatchObject({
      status: 400,
      body: { code: 40060 },
    });
    expect(fake.interaction(i.id)!.original).toEqual({ content: '', ephemeral: true, thinking: true });
    const edited = await rest('PATCH', `/webhooks/${appId()}/${i.token}/messages/@original`, {
      content: 'done',
    });
    expect(edited.status).toBe(200);
    expect(fake.interaction(i.id)!.original).toEqual({ content: 'done', ephemeral: true, thinking: false });
    await rest('POST', `/webhooks/${appId()}/${i.token}`, { content: 'and more', flags: 64 });
    expect(fake.interaction(i.id)!.followUps).toEqual([
      { content: 'and more', ephemeral: true, thinking: false },
    ]);
    now += 15 * 60_000 + 1;
    expect(
      (await rest('PATCH', `/webhooks/${appId()}/${i.token}/messages/@original`, { content: 'x' })).status,
    ).toBe(401);
  });

  it('validates modals and autocomplete results, and the response types each interaction allows', async () => {
    const tooLong = await callback(create(), {
      type: 9,
      data: { custom_id: 'm', title: 'x'.repeat(46), components: [] },
    });
    expect(tooLong).toMatchObject({ status: 400, body: { code: 50035 } });
    const choices = Array.from({ length: 26 }, (_, n) => ({ name: `T-${n}`, value: `T-${n}` }));
    expect(
      (await callback(create(InteractionType.Autocomplete), { type: 8, data: { choices } })).status,
    ).toBe(400);
    expect((await callback(create(InteractionType.Autocomplete), { type: 5, data: {} })).status).toBe(400);
    expect((await callback(create(InteractionType.ModalSubmit), { type: 9, data: {} })).status).toBe(400);
    expect(fake.unknownRoutes).toEqual([]);
  });

  it('registers guild commands under their own rate limit', async () => {
    const put = () =>
      fetch(`${fake.apiBase}/v10/applications/${appId()}/guilds/${fake.guildId}/commands`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: 'Bot orchestrator-token' },
        body: JSON.stringify([{ name: 'status', description: 'Show the board' }]),
      });
    for (let n = 0; n < 5; n++) expect((await put()).status).toBe(200);
    const limited = await put();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(fake.registeredCommands()).toEqual(['status']);
    expect(fake.commandOverwrites).toBe(5);
  });
});
