import { z } from 'zod';
import type { Ledger } from '../ledger/ledger.ts';

/** A remote agent as the orchestrator's config names it: its id, its bot's user id and its handle. */
export interface RemoteAgentEntry {
  id: string;
  /** The platform user id of the agent's bot: only its messages are read as this agent's. */
  botUserId: string;
  /** What the orchestrator addresses it as (`/grant@handle`): its bot's username on Telegram. */
  handle: string;
  /** Lease of its attempts; the ledger's default when absent. */
  leaseMs?: number;
}

const KV_KEY = 'remote_agents';
const listSchema = z.array(z.object({ id: z.string(), platform: z.string() }));

/**
 * Records which agents are remote (and on which platform) in the ledger's key-value table, so
 * `status` and `/agents` can say so from any process without the orchestrator's config.
 */
export function recordRemoteAgents(ledger: Ledger, platform: string, agents: RemoteAgentEntry[]): void {
  const value = JSON.stringify(agents.map((a) => ({ id: a.id, platform })));
  if (ledger.getKv(KV_KEY) !== value) ledger.setKv(KV_KEY, value);
}

/** Ids of the agents the orchestrator last ran with as remote agents (empty when none or unreadable). */
export function remoteAgentIds(ledger: Ledger): Set<string> {
  const raw = ledger.getKv(KV_KEY);
  if (!raw) return new Set();
  try {
    const parsed = listSchema.safeParse(JSON.parse(raw));
    return new Set(parsed.success ? parsed.data.map((a) => a.id) : []);
  } catch {
    return new Set();
  }
}
