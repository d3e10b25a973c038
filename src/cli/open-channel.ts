import { resolve } from 'node:path';
import type { ChatPort } from '../chat/chat-port.ts';
import { COMMANDS } from '../commands/command-catalog.ts';
import type { AdminPolicy } from '../commands/command-handler.ts';
import { NATIVE_COMMANDS } from '../commands/native-commands.ts';
import type { ChannelConfig, SwarmConfig } from '../config/config-schema.ts';
import { tokenFromEnv } from '../config/load-config.ts';
import type { Logger } from '../core/logger.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { PLATFORM_PACING, type PosterOptions } from '../orchestrator/poster-options.ts';
import { ledgerCursorStore } from './ledger-cursors.ts';

export interface OpenedChannel {
  port: ChatPort;
  admins: AdminPolicy;
  pacing: Partial<PosterOptions>;
}

/** Agent id → bot token, for agents whose config names a token variable. */
export function agentTokens(
  config: SwarmConfig,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const tokens: Record<string, string> = {};
  for (const agent of config.agents) {
    if (agent.tokenEnv) tokens[agent.id] = tokenFromEnv(agent.tokenEnv, `agent ${agent.id}`, env);
  }
  return tokens;
}

function pacingFor(channel: ChannelConfig): Partial<PosterOptions> {
  const base = PLATFORM_PACING[channel.platform] ?? {};
  const extra = Object.fromEntries(Object.entries(channel.pacing ?? {}).filter(([, v]) => v !== undefined));
  return { ...base, ...extra };
}

/**
 * Builds the configured chat port. Adapters are loaded with a dynamic import, so the core never
 * imports a chat library and a console swarm never loads discord.js or grammY.
 */
export async function openChannel(
  config: SwarmConfig,
  ledger: Ledger,
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<OpenedChannel> {
  const channel = config.channel;
  switch (channel.platform) {
    case 'console': {
      const { createConsoleChannel } = await import('../../adapters/console/console-channel.ts');
      const port = createConsoleChannel(
        { checkpointFile: resolve(config.workDir, 'checkpoint.txt') },
        { logger: log, cursors: ledgerCursorStore(ledger, 'console') },
      );
      return {
        port,
        admins: { userIds: [], roleIds: [], everyone: channel.admin },
        pacing: pacingFor(channel),
      };
    }
    case 'telegram': {
      const { createTelegramChannel } = await import('../../adapters/telegram/index.ts');
      const port = createTelegramChannel(
        {
          token: tokenFromEnv(channel.tokenEnv, 'the Telegram channel', env),
          chatId: channel.chatId,
          agentTokens: agentTokens(config, env),
          // The adapter fits names and descriptions to Telegram's limits.
          botCommands: Object.values(COMMANDS).map((c) => ({ command: c.name, description: c.description })),
          remoteAgentBotIds: config.remote.agents.map((a) => a.botUserId),
          ...(channel.topicId !== undefined ? { topicId: channel.topicId } : {}),
          ...(channel.apiRoot !== undefined ? { apiRoot: channel.apiRoot } : {}),
        },
        { log },
      );
      return { port, admins: channel.admins, pacing: pacingFor(channel) };
    }
    case 'discord': {
      const { createDiscordChannel } = await import('../../adapters/discord/index.ts');
      const port = createDiscordChannel(
        {
          token: tokenFromEnv(channel.tokenEnv, 'the Discord channel', env),
          channelId: channel.channelId,
          agentTokens: agentTokens(config, env),
          adminRoleIds: channel.admins.roleIds,
          remoteAgentBotIds: [...channel.remoteAgentBotIds, ...config.remote.agents.map((a) => a.botUserId)],
          // The `/` picker's commands, registered for the guild when they change.
          nativeCommands: NATIVE_COMMANDS,
          ...(channel.guildId !== undefined ? { guildId: channel.guildId } : {}),
          ...(channel.apiBase !== undefined ? { apiBase: channel.apiBase } : {}),
        },
        { log, cursors: ledgerCursorStore(ledger, 'discord') },
      );
      return { port, admins: channel.admins, pacing: pacingFor(channel) };
    }
  }
}
