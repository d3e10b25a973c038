import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { createTelegramFixture, type TelegramFixture } from '../adapters/telegram/telegram-fixture.ts';
import { tempDir, tempLedger } from '../support/temp-ledger.ts';
import { createTestOrchestrator } from '../support/test-orchestrator.ts';

let fx: TelegramFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

describe('chat-swarm audit --channel on Telegram', () => {
  it('reads the orchestrator’s pinned checkpoint read-only and catches deleted newest events', async () => {
    fx = await createTelegramFixture();
    const ledger = tempLedger();
    const orchestrator = createTestOrchestrator(ledger, fx.channel(), { checkpointIntervalMs: 3_600_000 });
    await orchestrator.start();
    for (const title of ['one', 'two', 'three']) ledger.createTask({ title }, 'cli');
    await orchestrator.poster.drain(10_000);
    await orchestrator.stop(); // the last checkpoint goes out here
    expect(fx.chat.pinned).toHaveLength(1);

    const config = join(tempDir(), 'chat-swarm.json');
    writeFileSync(
      config,
      JSON.stringify({
        db: ledger.path,
        channel: { platform: 'telegram', chatId: fx.chat.id, apiRoot: fx.fake.apiRoot },
      }),
    );
    const audit = async () => {
      const out: string[] = [];
      const env = { TELEGRAM_BOT_TOKEN: fx!.orchestrator.token! };
      const code = await main(['audit', '--channel', '--config', config], {
        out: (t) => void out.push(t),
        err: (t) => void out.push(t),
        env,
      });
      return { code, output: out.join('\n') };
    };
    const before = fx.fake.stats().calls;
    const ok = await audit();
    expect(ok.output).toMatch(/checkpoint from the telegram channel: event 3 /);
    expect(ok.code, ok.output).toBe(0);
    // Read-only: no message sent, no polling.
    const after = fx.fake.stats().calls;
    expect(after.sendMessage ?? 0).toBe(before.sendMessage ?? 0);
    expect(after.getUpdates ?? 0).toBe(before.getUpdates ?? 0);
    expect(ok.output).not.toContain(fx.orchestrator.token!);

    ledger.db.prepare('DELETE FROM events WHERE seq = 3').run();
    ledger.db.prepare('DELETE FROM outbox WHERE event_seq = 3').run();
    ledger.db.prepare("DELETE FROM tasks WHERE id = 'T-3'").run();
    const bad = await audit();
    expect(bad.code).toBe(1);
    expect(bad.output).toMatch(
      /the checkpoint names event 3 but the ledger ends at event 2: newer events were deleted/,
    );
  });
});
