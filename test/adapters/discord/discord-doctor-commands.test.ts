import { afterEach, describe, expect, it } from 'vitest';
import { diagnoseDiscord } from '../../../adapters/discord/discord-doctor.ts';
import { isHealthy } from '../../../src/chat/doctor-report.ts';
import { startFakeDiscord, type FakeDiscord } from '../../fakes/discord/fake-discord-server.ts';
import { captureLogger } from './discord-test-kit.ts';

const TOKEN = 'MTIzNDU2Nzg5MDEyMzQ1Njc4.Gx1abc.doctor-secret-token-value';
let fake: FakeDiscord;
afterEach(async () => {
  expect(fake.unknownRoutes).toEqual([]);
  await fake.close();
});

async function commandsCheck(commandsScope: boolean) {
  fake = await startFakeDiscord({ bots: [{ name: 'orchestrator', token: TOKEN, commandsScope }] });
  const report = await diagnoseDiscord(
    { token: TOKEN, channelId: fake.channelId, apiBase: fake.apiBase, probeGateway: false },
    { log: captureLogger() },
  );
  return { report, check: report.checks.find((c) => c.name === 'slash commands (applications.commands)') };
}

describe('doctor: slash commands scope', () => {
  it('passes when the bot may register commands in the guild', async () => {
    const { check } = await commandsCheck(true);
    expect(check).toMatchObject({ ok: true });
  });

  it('warns, with the fix, when the bot was invited without applications.commands', async () => {
    const { report, check } = await commandsCheck(false);
    expect(check).toMatchObject({ ok: false, warning: true });
    expect(check!.fix).toMatch(/bot applications\.commands/);
    // Typed commands and buttons still work: the setup stays usable.
    expect(isHealthy(report)).toBe(true);
  });
});
