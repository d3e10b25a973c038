import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ChatPort } from '../chat/chat-port.ts';
import { agentSchema, secretEnvNames, type SwarmConfig } from '../config/config-schema.ts';
import { tokenFromEnv } from '../config/load-config.ts';
import { ConfigError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { createAgentWorker } from '../presets/agent-worker.ts';
import { RemoteAgent } from '../remote/remote-agent.ts';
import { DEFAULT_ORCHESTRATOR_HANDLE, defaultHandleOf } from '../remote/remote-config.ts';
import { RemoteStore } from '../remote/remote-store.ts';
import { cliContext, EXIT, type CliIo } from './cli-context.ts';
import { stopSignal } from './stop-signal.ts';
import { preparePrivateWorkRoot } from './swarm.ts';

const USAGE =
  'usage: chat-swarm agent <id> --remote [--skills a,b --command "..." --capacity N] ' +
  '[--orchestrator-id ID --orchestrator-handle NAME --handle NAME] [--config FILE]';

const CONSOLE_REFUSED =
  'a remote agent needs a chat platform: set channel.platform to "discord" or "telegram" (docs/remote-agents.md)';

/** The agent's own bot on the configured platform, listening only to the orchestrator's bot. */
async function openAgentPort(
  config: SwarmConfig,
  token: string,
  orchestratorBotId: string,
  store: RemoteStore,
  log: Logger,
): Promise<ChatPort> {
  const channel = config.channel;
  switch (channel.platform) {
    case 'console':
      throw new ConfigError(CONSOLE_REFUSED);
    case 'telegram': {
      const { createTelegramChannel } = await import('../../adapters/telegram/index.ts');
      return createTelegramChannel(
        {
          token,
          chatId: channel.chatId,
          remoteAgentBotIds: [orchestratorBotId],
          ...(channel.topicId !== undefined ? { topicId: channel.topicId } : {}),
          ...(channel.apiRoot !== undefined ? { apiRoot: channel.apiRoot } : {}),
        },
        { log },
      );
    }
    case 'discord': {
      const { createDiscordChannel } = await import('../../adapters/discord/index.ts');
      return createDiscordChannel(
        {
          token,
          channelId: channel.channelId,
          remoteAgentBotIds: [orchestratorBotId],
          ...(channel.guildId !== undefined ? { guildId: channel.guildId } : {}),
          ...(channel.apiBase !== undefined ? { apiBase: channel.apiBase } : {}),
        },
        { log, cursors: store.cursors },
      );
    }
  }
}

/**
 * `chat-swarm agent <id> --remote`: an agent on another host that joins through the channel with
 * its own bot. It needs the platform and chat, its bot token (from the environment), its skills,
 * capacity and worker, and the orchestrator's bot id; it never opens a ledger.
 */
export async function runRemoteAgent(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      db: { type: 'string' },
      skills: { type: 'string' },
      command: { type: 'string' },
      capacity: { type: 'string' },
      handle: { type: 'string' },
      'orchestrator-id': { type: 'string' },
      'orchestrator-handle': { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  const id = positionals[0];
  if (!id) {
    io.err(USAGE);
    return EXIT.usage;
  }
  if (values.db !== undefined)
    throw new ConfigError('a remote agent has no ledger: drop --db (docs/remote-agents.md)');
  const ctx = cliContext(values, io);
  const { config } = ctx;
  // Said first: the other checks (a token, the orchestrator's handle) mean nothing on the console.
  if (config.channel.platform === 'console') throw new ConfigError(CONSOLE_REFUSED);
  const fromConfig = config.agents.find((a) => a.id === id);
  // Presets report usage and sessions that the channel protocol does not carry yet.
  const command = values.command ?? fromConfig?.command;
  if (command === undefined)
    throw new ConfigError(
      `agent ${id}: a remote agent runs a shell "command" (give one, or --command)` +
        (fromConfig?.preset !== undefined
          ? `; its preset ${fromConfig.preset} runs only as a local agent`
          : ''),
    );
  const parsed = agentSchema.safeParse({
    id,
    skills: values.skills?.split(',').filter(Boolean) ?? fromConfig?.skills ?? [],
    capacity: values.capacity !== undefined ? Number(values.capacity) : (fromConfig?.capacity ?? 1),
    command,
    ...(fromConfig?.tokenEnv !== undefined ? { tokenEnv: fromConfig.tokenEnv } : {}),
    env: fromConfig?.env ?? {},
    ...(fromConfig?.passEnv !== undefined ? { passEnv: fromConfig.passEnv } : {}),
  });
  if (!parsed.success) {
    throw new ConfigError(
      `agent ${id}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const agent = parsed.data;
  const orchestratorBotId = values['orchestrator-id'] ?? config.remote.orchestrator?.botUserId;
  if (!orchestratorBotId || !/^\d{5,20}$/.test(orchestratorBotId))
    throw new ConfigError(
      "set remote.orchestrator.botUserId (or --orchestrator-id) to the orchestrator bot's numeric user id",
    );
  const orchestratorHandle =
    values['orchestrator-handle'] ??
    config.remote.orchestrator?.handle ??
    (config.channel.platform === 'telegram' ? undefined : DEFAULT_ORCHESTRATOR_HANDLE);
  if (!orchestratorHandle)
    throw new ConfigError(
      "on Telegram set remote.orchestrator.handle to the orchestrator bot's username (without @)",
    );
  if (!('tokenEnv' in config.channel) && agent.tokenEnv === undefined)
    throw new ConfigError('a remote agent needs its own bot token: set the agent\'s "tokenEnv"');
  const tokenEnv = agent.tokenEnv ?? ('tokenEnv' in config.channel ? config.channel.tokenEnv : '');
  const token = tokenFromEnv(tokenEnv, `remote agent ${id}`, io.env);
  // The worker's environment is built as a local agent's (allowlist, passEnv, every tokenEnv withheld);
  // this bot's own variable is withheld too, and dropped here as well, in case anything reads process.env.
  const withheldEnv = [...new Set([...secretEnvNames(config), tokenEnv])];
  delete process.env[tokenEnv];

  const workRoot = preparePrivateWorkRoot(config.workDir);
  const store = new RemoteStore(join(config.workDir, `remote-agent-${id}`));
  const port = await openAgentPort(config, token, orchestratorBotId, store, ctx.log);
  const baseDir = values.command !== undefined ? process.cwd() : ctx.configDir;
  const runtime = new RemoteAgent({
    port,
    id,
    skills: agent.skills,
    capacity: agent.capacity,
    // The same worker a local agent gets from this entry (the environment rule included).
    worker: createAgentWorker({ ...agent, command }, { baseDir, withheldEnv, log: ctx.log }),
    secrets: [token],
    workRoot,
    store,
    handle: values.handle ?? defaultHandleOf(id),
    orchestrator: { botUserId: orchestratorBotId, handle: orchestratorHandle },
    log: ctx.log,
    ...(config.remote.messagesPerMinute !== undefined
      ? { settings: { messagesPerMinute: config.remote.messagesPerMinute } }
      : {}),
  });
  const stop = stopSignal();
  await runtime.start();
  ctx.log.info('remote agent up', {
    id,
    platform: port.platform,
    pid: process.pid,
    undelivered: runtime.undelivered,
  });
  const sig = await stop;
  ctx.log.info('stopping', { signal: sig });
  await runtime.stop();
  return EXIT.ok;
}
