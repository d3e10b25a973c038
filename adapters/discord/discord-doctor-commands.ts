/**
 * `chat-swarm doctor`'s check for slash commands and buttons' forms: whether the bot was invited
 * with the `applications.commands` scope, read from the guild's command list (Discord answers 50001
 * Missing Access without it). A warning, not a failure: typed commands and buttons work without it.
 * @see https://discord.com/developers/docs/topics/oauth2#shared-resources-oauth2-scopes
 */
import { DiscordAPIError, Routes, type REST } from 'discord.js';
import type { DoctorCheck } from '../../src/chat/doctor-report.ts';
import { describeError } from '../../src/core/errors.ts';

const NAME = 'slash commands (applications.commands)';

/** Checks that the bot may register its `/` commands in the guild. */
export async function checkCommandsScope(
  rest: REST,
  guildId: string,
  say: (t: string) => string,
): Promise<DoctorCheck> {
  try {
    const app = (await rest.get(Routes.currentApplication())) as { id: string };
    const commands = (await rest.get(Routes.applicationGuildCommands(app.id, guildId))) as unknown[];
    return {
      name: NAME,
      ok: true,
      detail: `the bot may register its / commands here (${commands.length} registered now)`,
    };
  } catch (err) {
    if (err instanceof DiscordAPIError && err.code === 50001) {
      return {
        name: NAME,
        ok: false,
        warning: true,
        detail: 'the bot was invited without the applications.commands scope: no / commands in the picker',
        fix: 'Re-invite the bot with scopes "bot applications.commands" (see docs/discord.md); typed commands and buttons work meanwhile',
      };
    }
    return {
      name: NAME,
      ok: false,
      unchecked: true,
      detail: say(`could not be checked: ${describeError(err)}`),
    };
  }
}
