/** Variables that never reach a worker, whatever the config says: the audit key and the default token names. */
export const ALWAYS_SECRET_ENV = ['SWARM_AUDIT_KEY', 'TELEGRAM_BOT_TOKEN', 'DISCORD_BOT_TOKEN'] as const;

/**
 * Every variable name that holds a secret in this config: each `tokenEnv` (channel, agents, the
 * board's access token), plus {@link ALWAYS_SECRET_ENV}.
 */
export function secretEnvNames(cfg: {
  channel: { platform: string; tokenEnv?: string };
  agents: { tokenEnv?: string | undefined }[];
  board?: { tokenEnv?: string | undefined };
}): string[] {
  const names = new Set<string>(ALWAYS_SECRET_ENV);
  if (cfg.channel.tokenEnv) names.add(cfg.channel.tokenEnv);
  if (cfg.board?.tokenEnv) names.add(cfg.board.tokenEnv);
  for (const a of cfg.agents) if (a.tokenEnv) names.add(a.tokenEnv);
  return [...names];
}
