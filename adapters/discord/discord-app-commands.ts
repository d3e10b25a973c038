/**
 * The swarm's commands in Discord's `/` picker: the core's native command descriptions mapped to
 * guild application commands, registered with one bulk overwrite at start, and only when the
 * definition changed since the last successful registration (a hash kept in the ledger's cursor
 * store), so restarts spend none of the daily command creates or the route's rate limit. Needs the
 * bot invited with the `applications.commands` scope; without it text commands still work.
 * @see https://discord.com/developers/docs/interactions/application-commands#bulk-overwrite-guild-application-commands
 */
import { createHash } from 'node:crypto';
import { Routes, type REST } from 'discord.js';
import type { CursorStore } from '../../src/chat/chat-port.ts';
import type { NativeCommand, NativeOption } from '../../src/commands/native-commands.ts';
import type { Logger } from '../../src/core/logger.ts';
import { toChatError } from './to-chat-error.ts';

const OPTION_TYPE: Record<NativeOption['type'], number> = { string: 3, integer: 4, boolean: 5 };

/** The bulk overwrite body for the commands (chat-input commands usable by every member). */
export function toDiscordCommands(commands: readonly NativeCommand[]): Array<Record<string, unknown>> {
  return commands.map((c) => ({
    name: c.name,
    type: 1,
    description: c.description.slice(0, 100),
    options: c.options.map((o) => ({
      type: OPTION_TYPE[o.type],
      name: o.name,
      description: o.description.slice(0, 100),
      required: o.required,
      ...(o.suggest !== undefined ? { autocomplete: true } : {}),
      ...(o.min !== undefined ? { min_value: o.min } : {}),
      ...(o.max !== undefined ? { max_value: o.max } : {}),
      ...(o.maxLength !== undefined ? { max_length: o.maxLength } : {}),
    })),
  }));
}

/** The cursor key under which the registered definition's hash is kept, per application and guild. */
export function commandsHashKey(applicationId: string, guildId: string): string {
  return `discord:commands:${applicationId}:${guildId}`;
}

export interface RegisterCommandsInput {
  rest: REST;
  applicationId: string;
  guildId: string;
  commands: readonly NativeCommand[];
  cursors: CursorStore;
  log: Logger;
  secrets: readonly string[];
}

/**
 * Registers the commands for the guild when their definition changed; never throws (a failure is
 * logged with the fix, and the next start tries again).
 */
export async function registerAppCommands(
  input: RegisterCommandsInput,
): Promise<'registered' | 'unchanged' | 'failed'> {
  const body = toDiscordCommands(input.commands);
  const hash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
  const key = commandsHashKey(input.applicationId, input.guildId);
  if (input.cursors.get(key) === hash) {
    input.log.debug('discord: slash commands unchanged; not registered again', { guildId: input.guildId });
    return 'unchanged';
  }
  try {
    await input.rest.put(Routes.applicationGuildCommands(input.applicationId, input.guildId), { body });
  } catch (err) {
    const error = toChatError(err, 'register slash commands', input.secrets);
    const scope =
      error.platformCode === 50001 ? ' (invite the bot with the applications.commands scope)' : '';
    input.log.warn(`discord: could not register the slash commands${scope}; typed commands still work`, {
      error: error.message,
    });
    return 'failed';
  }
  input.cursors.set(key, hash);
  input.log.info('discord: slash commands registered', { guildId: input.guildId, commands: body.length });
  return 'registered';
}
