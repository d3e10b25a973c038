/**
 * How `chat-swarm doctor` tells Discord failures apart: the token, a refusal, Discord's own server
 * error, or the network, each with the fix to give.
 */
import { DiscordAPIError, HTTPError } from 'discord.js';
import type { DoctorCheck } from '../../src/chat/doctor-report.ts';
import { toChatError } from './to-chat-error.ts';

/** Why a call failed, as doctor tells it. */
export interface DoctorFailure {
  kind: 'token' | 'refused' | 'server' | 'network';
  detail: string;
  fix: string;
}

/** Where a bot's settings (token, intents) are changed. */
export const DEVELOPER_PORTAL = 'https://discord.com/developers/applications';

/** Tells the token, a refusal, Discord's server error and the network apart, each with its fix. */
export function classifyFailure(
  err: unknown,
  action: string,
  host: string,
  say: (t: string) => string,
): DoctorFailure {
  if (err instanceof DiscordAPIError && err.status === 401) {
    return {
      kind: 'token',
      detail: say('Discord rejected the token (401)'),
      fix: `Reset the token on the Bot page of your application (${DEVELOPER_PORTAL}) and put it in DISCORD_BOT_TOKEN`,
    };
  }
  if (err instanceof DiscordAPIError && err.status !== 429 && err.status < 500) {
    return {
      kind: 'refused',
      detail: say(
        `Discord refused to ${action}: ${err.message} (HTTP ${err.status}, code ${String(err.code)})`,
      ),
      fix: "Check the bot's invitation, permissions and the ids in the config (docs/discord.md lists what the bot needs)",
    };
  }
  if (err instanceof HTTPError || err instanceof DiscordAPIError) {
    return {
      kind: 'server',
      detail: say(
        `Discord answered with a server error when asked to ${action}: HTTP ${err.status} ${err.message}`.trim(),
      ),
      fix: `That is on Discord's side (or a proxy in front of ${host}): check https://discordstatus.com and try again in a few minutes`,
    };
  }
  const reason = toChatError(err, action, []).message.replace(/^Discord .*? failed: /, '');
  return {
    kind: 'network',
    detail: say(`could not reach ${host} to ${action}: ${reason}`),
    fix: `Check this machine's connection, DNS and proxy settings for ${host}, then run doctor again`,
  };
}

/** A check that could not be made, saying why. */
export function unchecked(name: string, why: string): DoctorCheck {
  return { name, ok: false, unchecked: true, detail: `unchecked: ${why}` };
}

/** The host of the REST base, for messages about the network. */
export function hostOf(apiBase: string | undefined): string {
  if (apiBase === undefined) return 'discord.com';
  try {
    return new URL(apiBase).host;
  } catch {
    return apiBase;
  }
}
