import { describe, expect, it } from 'vitest';
import { mirrorHealth } from '../../src/board/mirror-health.ts';
import { createMemoryChannel } from '../../src/chat/memory-channel.ts';
import { ChatError } from '../../src/core/errors.ts';
import { PLATFORM_PACING } from '../../src/orchestrator/poster-options.ts';
import { createTestOrchestrator } from '../support/test-orchestrator.ts';
import { tempLedger } from '../support/temp-ledger.ts';
import { waitFor } from '../support/wait-for.ts';

describe('the mirror’s health on the board', () => {
  it('shows the backlog, what was sent against the budget, and the last 429 the poster met', async () => {
    const ledger = tempLedger();
    const channel = createMemoryChannel();
    const orchestrator = createTestOrchestrator(ledger, channel);
    await orchestrator.start();
    try {
      expect(mirrorHealth(ledger, 'telegram', PLATFORM_PACING.telegram)).toMatchObject({
        backlog: 0,
        failed: 0,
        last429: null,
        budgetPerMinute: 19,
      });
      channel.failNext(
        1,
        new ChatError('Telegram sendMessage failed (429)', { permanent: false, retryAfterMs: 300 }),
      );
      ledger.createTask({ title: 'one' }, 'test');
      await waitFor('the 429 to be recorded', () => mirrorHealth(ledger, 'telegram').last429, 5_000);
      expect(mirrorHealth(ledger, 'telegram').last429).toMatchObject({ retryAfterMs: 300 });
      await waitFor('the backlog to drain', () => mirrorHealth(ledger, 'telegram').backlog === 0, 10_000);
      const health = mirrorHealth(ledger, 'console');
      expect(health.sentLastMinute).toBeGreaterThan(0);
      expect(health.budgetPerMinute).toBeNull();
    } finally {
      await orchestrator.stop();
    }
  });
});
