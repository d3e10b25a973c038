/**
 * `chat-swarm doctor` for Discord: checks the bot token, the MessageContent intent (the
 * application's flags, then a real gateway login that Discord closes with 4014 if the intent is
 * off), the channel, and each permission the bot needs there, with the fix for every problem. A
 * failure is blamed on what caused it: the token, a refusal, Discord's own server error (with its
 * status), or the network; what could not be checked is marked unchecked.
 */
import { REST, Routes, type RESTOptions } from 'discord.js';
import type { DoctorCheck, DoctorReport } from '../../src/chat/doctor-report.ts';
import type { Logger } from '../../src/core/logger.ts';
import { REQUIRED_PERMISSIONS, WANTED_PERMISSIONS } from './channel-permissions.ts';
import { checkChannel, checkPermissions } from './discord-doctor-channel.ts';
import { checkCommandsScope } from './discord-doctor-commands.ts';
import {
  classifyFailure,
  DEVELOPER_PORTAL,
  hostOf,
  unchecked,
  type DoctorFailure,
} from './discord-doctor-failure.ts';
import { probeGateway } from './discord-doctor-gateway.ts';
import { REMOTE_AGENT_PERMISSIONS } from './discord-remote-doctor.ts';
import { withDiscordErrorBodies } from './discord-error-bodies.ts';
import { scrubSecrets } from './to-chat-error.ts';

/** What `diagnoseDiscord` checks: the bot's token, the swarm's channel, and how far it goes. */
export interface DiscordDoctorOptions {
  token: string;
  channelId: string;
  guildId?: string;
  apiBase?: string;
  /** Also log in to the gateway with the swarm's intents (default true). */
  probeGateway?: boolean;
  /** How long the gateway login may take before doctor gives up on it. */
  gatewayTimeoutMs?: number;
  /**
   * A remote agent's own bot: it needs only what the protocol uses in the channel (no threads, no
   * pins, no slash commands).
   */
  remoteAgent?: boolean;
}

/** Timeouts of doctor's REST calls and of its gateway login. */
export const DEFAULT_DISCORD_DOCTOR = { requestTimeoutMs: 10_000, gatewayTimeoutMs: 20_000 } as const;

/** Application flags that mean the MessageContent intent is enabled (verified or not). */
const MESSAGE_CONTENT_FLAGS = (1 << 18) | (1 << 19);

/** Runs every check; never throws for a platform problem (it becomes a failed or unchecked check). */
export async function diagnoseDiscord(
  options: DiscordDoctorOptions,
  deps: { log: Logger },
): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  const restOptions: Partial<RESTOptions> = {
    ...(options.apiBase !== undefined ? { api: options.apiBase } : {}),
    retries: 1,
    timeout: DEFAULT_DISCORD_DOCTOR.requestTimeoutMs,
    makeRequest: withDiscordErrorBodies(),
  };
  const rest = new REST(restOptions).setToken(options.token);
  const say = (text: string): string => scrubSecrets(text, [options.token]);
  const host = hostOf(options.apiBase);
  const fail = (err: unknown, action: string): DoctorFailure => classifyFailure(err, action, host, say);
  try {
    deps.log.info(`Discord doctor: asking ${host} about the bot…`);
    let me: { id: string; username: string };
    try {
      me = (await rest.get(Routes.user('@me'))) as typeof me;
      checks.push({ name: 'bot token', ok: true, detail: `valid, the bot is ${me.username} (${me.id})` });
    } catch (err) {
      const failure = fail(err, 'read the bot user');
      if (failure.kind === 'token' || failure.kind === 'refused') {
        checks.push({ name: 'bot token', ok: false, detail: failure.detail, fix: failure.fix });
      } else {
        checks.push({
          name: failure.kind === 'network' ? 'network' : 'Discord API',
          ok: false,
          detail: failure.detail,
          fix: failure.fix,
        });
        checks.push(unchecked('bot token', `${host} could not be asked`));
      }
      return { platform: 'discord', checks };
    }

    checks.push(await checkIntentFlag(rest, fail));
    const channel = await checkChannel(rest, options.channelId, checks, fail);
    const needs = options.remoteAgent
      ? { required: REMOTE_AGENT_PERMISSIONS, wanted: [] }
      : { required: REQUIRED_PERMISSIONS, wanted: WANTED_PERMISSIONS };
    if (channel)
      await checkPermissions(rest, me.id, channel, options.guildId ?? channel.guild_id, checks, fail, needs);
    const guildId = options.guildId ?? channel?.guild_id;
    if (guildId !== undefined && !options.remoteAgent)
      checks.push(await checkCommandsScope(rest, guildId, say));
    if (options.probeGateway ?? true) {
      deps.log.info("Discord doctor: logging in to the gateway with the swarm's intents…");
      const timeoutMs = options.gatewayTimeoutMs ?? DEFAULT_DISCORD_DOCTOR.gatewayTimeoutMs;
      const probe = { token: options.token, apiBase: options.apiBase, timeoutMs };
      checks.push(await probeGateway(probe, restOptions, say, deps.log));
    }
    return { platform: 'discord', checks };
  } finally {
    rest.clearHashSweeper();
    rest.clearHandlerSweeper();
    deps.log.debug('discord doctor finished', { checks: checks.length });
  }
}

/** Whether the application has the MessageContent intent switched on (its flags). */
async function checkIntentFlag(
  rest: REST,
  fail: (err: unknown, action: string) => DoctorFailure,
): Promise<DoctorCheck> {
  const name = 'message content intent';
  let app: { flags?: number };
  try {
    app = (await rest.get(Routes.currentApplication())) as { flags?: number };
  } catch (err) {
    const failure = fail(err, 'read the application settings');
    return failure.kind === 'refused'
      ? { name, ok: false, detail: failure.detail, fix: failure.fix }
      : unchecked(name, failure.detail);
  }
  const intentOn = app.flags !== undefined && (app.flags & MESSAGE_CONTENT_FLAGS) !== 0;
  return intentOn
    ? { name, ok: true, detail: 'enabled' }
    : {
        name,
        ok: false,
        detail: 'not enabled: the bot would read commands as empty text',
        fix: `In ${DEVELOPER_PORTAL} → your application → Bot → Privileged Gateway Intents, turn on Message Content Intent`,
      };
}
