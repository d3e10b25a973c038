import type { ChatPort } from '../../src/chat/chat-port.ts';
import { silentLogger } from '../../src/core/logger.ts';
import type { Ledger } from '../../src/ledger/ledger.ts';
import { Orchestrator, type OrchestratorOptions } from '../../src/orchestrator/orchestrator.ts';

/** Everyone in the channel is an admin: tests that are not about permissions. */
export const EVERYONE_ADMIN = { userIds: [], roleIds: [], everyone: true };

/** An orchestrator on the 'main' channel with a silent log; not started. */
export function createTestOrchestrator(
  ledger: Ledger,
  port: ChatPort,
  overrides: Partial<OrchestratorOptions> = {},
): Orchestrator {
  return new Orchestrator({
    ledger,
    port,
    channel: 'main',
    admins: EVERYONE_ADMIN,
    log: silentLogger,
    ...overrides,
  });
}
