import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ORCHESTRATOR_TOKEN,
  startDiscordKit,
  type DiscordKit,
} from '../adapters/discord/discord-test-kit.ts';
import { collect, spawnCli } from '../support/spawn-ts.ts';
import { tempDir } from '../support/temp-ledger.ts';
import { waitFor } from '../support/wait-for.ts';

let kit: DiscordKit | undefined;
afterEach(async () => {
  await kit?.close();
  kit = undefined;
});

/** `chat-swarm up` and `doctor` as a user runs them: a config file, a token in the environment. */
describe('chat-swarm up on Discord (fake REST and gateway)', () => {
  it('wires config, token and adapter: an admin creates a task by message and an agent finishes it in its thread', async () => {
    kit = await startDiscordKit();
    const { fake } = kit;
    const dir = tempDir();
    const config = join(dir, 'chat-swarm.json');
    const db = join(dir, 'swarm.db');
    writeFileSync(
      config,
      JSON.stringify({
        db,
        workDir: join(dir, 'work'),
        channel: {
          platform: 'discord',
          channelId: fake.channelId,
          apiBase: fake.apiBase,
          admins: { roleIds: [fake.role('admins').id] },
        },
        agents: [{ id: 'coder-001', skills: ['code'], command: 'echo "did: $SWARM_TASK_TITLE"' }],
      }),
    );
    const env = { DISCORD_BOT_TOKEN: ORCHESTRATOR_TOKEN, SWARM_LOG_LEVEL: 'info' };

    const doctor = await collect(spawnCli(['doctor', '--config', config], env));
    expect(doctor.code, doctor.stdout + doctor.stderr).toBe(0);

    const up = spawnCli(['up', '--config', config], env);
    const upDone = collect(up);
    let logs = '';
    up.stderr?.on('data', (d: Buffer) => (logs += d.toString()));
    // A first start has no history cursor yet, so post once the bot is listening.
    await waitFor('the orchestrator listening', () => logs.includes('orchestrator listening'), 30_000);
    const inThreads = (): string[] =>
      fake.threads(fake.channelId).flatMap((t) => fake.transcript(t.id).map((m) => m.content));
    fake.post('alice', '/task Smoke test skills=code');
    await waitFor(
      'the result in the task thread',
      () => inThreads().find((c) => c.includes('did: Smoke test')),
      60_000,
      100,
    );
    up.kill('SIGINT');
    const result = await upDone;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain(ORCHESTRATOR_TOKEN);
    expect(fake.counters.served429).toBe(0);
    expect(fake.unknownRoutes).toEqual([]);

    const audit = await collect(spawnCli(['audit', '--db', db]));
    expect(audit.code, audit.stdout).toBe(0);
  }, 120_000);
});
