import { afterEach, describe, expect, it } from 'vitest';
import { diagnoseDiscord } from '../../../adapters/discord/discord-doctor.ts';
import { isHealthy, type DoctorReport } from '../../../src/chat/doctor-report.ts';
import { Perm } from '../../fakes/discord/fake-discord-state.ts';
import {
  startFakeDiscord,
  type FakeDiscord,
  type FakeDiscordOptions,
} from '../../fakes/discord/fake-discord-server.ts';
import { captureLogger } from './discord-test-kit.ts';

const TOKEN = 'MTIzNDU2Nzg5MDEyMzQ1Njc4.Gx1abc.doctor-secret-token-value';
let fake: FakeDiscord;
afterEach(async () => {
  expect(fake.unknownRoutes).toEqual([]);
  await fake.close();
});

async function diagnose(
  options: FakeDiscordOptions = {},
  overrides: { token?: string; channelId?: string } = {},
): Promise<DoctorReport> {
  fake = await startFakeDiscord({ bots: [{ name: 'orchestrator', token: TOKEN }], ...options });
  const log = captureLogger();
  const report = await diagnoseDiscord(
    {
      token: overrides.token ?? TOKEN,
      channelId: overrides.channelId ?? fake.channelId,
      apiBase: fake.apiBase,
    },
    { log },
  );
  expect(JSON.stringify(report) + log.lines.join('\n')).not.toContain(TOKEN);
  return report;
}

const failed = (r: DoctorReport): string[] => r.checks.filter((c) => !c.ok).map((c) => c.name);

describe('diagnoseDiscord on the fake server', () => {
  it('reports a healthy setup with every permission and the intent', async () => {
    const report = await diagnose();
    expect(failed(report)).toEqual([]);
    expect(isHealthy(report)).toBe(true);
    expect(report.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'bot token',
        'message content intent',
        'channel',
        'permission: Send Messages',
        'gateway login',
      ]),
    );
  });

  it('stops at a rejected token with the fix', async () => {
    const report = await diagnose({}, { token: 'not-the-token' });
    expect(report.checks).toHaveLength(1);
    expect(report.checks[0]).toMatchObject({ name: 'bot token', ok: false });
    expect(report.checks[0]!.fix).toMatch(/DISCORD_BOT_TOKEN/);
  });

  it('names an unknown channel', async () => {
    const report = await diagnose({}, { channelId: '123456789012345678' });
    const channel = report.checks.find((c) => c.name === 'channel')!;
    expect(channel.ok).toBe(false);
    expect(channel.fix).toMatch(/Copy Channel ID/);
  });

  it('finds each permission a channel overwrite takes away', async () => {
    const report = await diagnose({
      channels: [
        {
          name: 'swarm',
          overwrites: [{ role: '@everyone', deny: Perm.SendMessages | Perm.CreatePublicThreads }],
        },
      ],
    });
    expect(failed(report)).toEqual(['permission: Send Messages', 'permission: Create Public Threads']);
    expect(report.checks.find((c) => c.name === 'permission: Send Messages')!.fix).toMatch(
      /permissions=2252109051431936/,
    );
  });

  it('warns without failing when the bot cannot pin the checkpoint', async () => {
    const report = await diagnose({
      channels: [{ name: 'swarm', overwrites: [{ role: '@everyone', deny: Perm.PinMessages }] }],
    });
    const pin = report.checks.find((c) => c.name === 'permission: Pin Messages')!;
    expect(pin).toMatchObject({ ok: false, warning: true });
    expect(pin.detail).toMatch(/checkpoint/);
    expect(pin.fix).toMatch(/permissions=2252109051431936/);
    expect(failed(report)).toEqual(['permission: Pin Messages']);
    expect(isHealthy(report)).toBe(true);
  });

  it('sees a disabled MessageContent intent in the flags and at the gateway (4014)', async () => {
    fake = await startFakeDiscord({
      bots: [{ name: 'orchestrator', token: TOKEN, messageContentAllowed: false }],
    });
    const report = await diagnoseDiscord(
      { token: TOKEN, channelId: fake.channelId, apiBase: fake.apiBase },
      { log: captureLogger() },
    );
    expect(failed(report)).toEqual(['message content intent', 'gateway login']);
    expect(report.checks.find((c) => c.name === 'gateway login')!.detail).toMatch(/4014/);
  });
});
