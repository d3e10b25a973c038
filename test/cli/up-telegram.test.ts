import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTelegramFixture, type TelegramFixture } from '../adapters/telegram/telegram-fixture.ts';
import { collect, spawnCli } from '../support/spawn-ts.ts';
import { tempDir } from '../support/temp-ledger.ts';
import { waitFor } from '../support/wait-for.ts';

let fixture: TelegramFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

/** `chat-swarm up` and `doctor` as a user runs them: a config file, a token in the environment. */
describe('chat-swarm up on Telegram (fake Bot API)', () => {
  it('wires config, token and adapter: a person creates a task in the group and an agent finishes it', async () => {
    fixture = await createTelegramFixture();
    const { fake, chat, alice, orchestrator } = fixture;
    const dir = tempDir();
    const config = join(dir, 'chat-swarm.json');
    const db = join(dir, 'swarm.db');
    writeFileSync(
      config,
      JSON.stringify({
        db,
        workDir: join(dir, 'work'),
        channel: {
          platform: 'telegram',
          chatId: chat.id,
          apiRoot: fake.apiRoot,
          admins: { userIds: [String(alice.id)] },
          pacing: { perWindow: 20, perWindowMs: 3_000, minIntervalMs: 1_000 },
        },
        agents: [{ id: 'coder-001', skills: ['code'], command: 'echo "did: $SWARM_TASK_TITLE"' }],
      }),
    );
    const env = { TELEGRAM_BOT_TOKEN: orchestrator.token!, SWARM_LOG_LEVEL: 'info' };

    const doctor = await collect(spawnCli(['doctor', '--config', config], env));
    expect(doctor.code, doctor.stdout + doctor.stderr).toBe(0);
    expect(doctor.stdout).toMatch(/✔/);

    const up = spawnCli(['up', '--config', config], env);
    const upDone = collect(up);
    fake.postAsUser(chat.id, alice.id, '/task Smoke test skills=code');
    await waitFor(
      'the result in the group',
      () => fake.transcript(chat.id).find((m) => m.text.includes('did: Smoke test')),
      60_000,
      100,
    );
    up.kill('SIGINT');
    const result = await upDone;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain(orchestrator.token!);
    expect(fake.stats().tooManyRequests).toBe(0);

    const audit = await collect(spawnCli(['audit', '--db', db]));
    expect(audit.code, audit.stdout).toBe(0);
  }, 120_000);
});
