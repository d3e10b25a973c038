import type { SwarmConfig } from '../config/config-schema.ts';
import type { ArbiterOptions, ArbiterSettings } from './remote-arbiter.ts';
import type { RemoteAgentEntry } from './remote-registry.ts';

/** The orchestrator's handle on platforms without bot usernames (Discord), unless configured. */
export const DEFAULT_ORCHESTRATOR_HANDLE = 'swarm';

/** An agent id as a handle (`coder-002` → `coder_002`), for platforms where the handle is free to choose. */
export function defaultHandleOf(agentId: string): string {
  return agentId.replace(/-/g, '_');
}

/** The remote agents the orchestrator's config lists, with their handles filled in. */
export function remoteAgentsOf(config: SwarmConfig): RemoteAgentEntry[] {
  return config.remote.agents.map((a) => ({
    id: a.id,
    botUserId: a.botUserId,
    handle: a.handle ?? defaultHandleOf(a.id),
    ...(a.leaseMs !== undefined ? { leaseMs: a.leaseMs } : {}),
  }));
}

/**
 * The orchestrator's remote options from the config: on Telegram its handle is its bot's username
 * (learnt from each message), elsewhere the configured handle or `swarm`.
 */
export function arbiterOptionsOf(
  config: SwarmConfig,
): Pick<ArbiterOptions, 'agents' | 'handle' | 'workDir' | 'settings'> {
  const r = config.remote;
  const settings: Partial<ArbiterSettings> = {};
  if (r.offerFanout !== undefined) settings.offerFanout = r.offerFanout;
  if (r.offerTimeoutMs !== undefined) settings.offerTimeoutMs = r.offerTimeoutMs;
  if (r.presenceTtlMs !== undefined) settings.presenceTtlMs = r.presenceTtlMs;
  if (r.messagesPerMinute !== undefined) settings.messagesPerMinute = r.messagesPerMinute;
  if (r.maxResultBytes !== undefined) settings.maxResultBytes = r.maxResultBytes;
  return {
    agents: remoteAgentsOf(config),
    ...(config.channel.platform === 'telegram' ? {} : { handle: r.handle ?? DEFAULT_ORCHESTRATOR_HANDLE }),
    workDir: config.workDir,
    settings,
  };
}
