/**
 * The command list shown when someone types `/` in the group: fitted to Telegram's rules and set
 * for the swarm's chat at start. Setting it is a convenience, so a failure is only a warning.
 * @see https://core.telegram.org/bots/api#setmycommands
 */
import type { Api } from 'grammy';
import type { Logger } from '../../src/core/logger.ts';
import { toChatError } from './to-chat-error.ts';

/** One entry of the `/` menu. */
export interface TelegramBotCommand {
  command: string;
  description: string;
}

export const TELEGRAM_COMMAND_LIMITS = {
  maxCommandLength: 32,
  maxDescriptionLength: 256,
  maxCommands: 100,
} as const;

/**
 * Fits commands to the Bot API's rules: names lower-case `a-z0-9_`, 1–32 characters; descriptions
 * on one line, 1–256 characters; at most 100, first one of a name kept. Entries left empty are dropped.
 */
export function toTelegramBotCommands(commands: readonly TelegramBotCommand[]): TelegramBotCommand[] {
  const { maxCommandLength, maxDescriptionLength, maxCommands } = TELEGRAM_COMMAND_LIMITS;
  const seen = new Set<string>();
  const fitted: TelegramBotCommand[] = [];
  for (const entry of commands) {
    const command = entry.command
      .replace(/^\//, '')
      .toLowerCase()
      .replace(/[^a-z0-9_]/g, '_')
      .slice(0, maxCommandLength);
    let description = entry.description.replace(/\s+/g, ' ').trim();
    if (description.length > maxDescriptionLength)
      description = `${description.slice(0, maxDescriptionLength - 1).trimEnd()}…`;
    if (command === '' || description === '' || seen.has(command)) continue;
    seen.add(command);
    fitted.push({ command, description });
    if (fitted.length === maxCommands) break;
  }
  return fitted;
}

/**
 * Sets the menu for the chat itself (scope `chat`): in a group that scope wins over the bot's
 * default and all-groups lists, so everyone there sees these. Never throws.
 */
export async function publishBotCommands(
  api: Api,
  chatId: number | string,
  commands: readonly TelegramBotCommand[],
  deps: { log: Logger; tokens: readonly string[] },
): Promise<void> {
  const fitted = toTelegramBotCommands(commands);
  try {
    await api.setMyCommands(fitted, { scope: { type: 'chat', chat_id: chatId } });
    deps.log.debug('Telegram: command menu set for the chat', { commands: fitted.length });
  } catch (err) {
    const reason = toChatError(err, 'setMyCommands', deps.tokens).message;
    deps.log.warn('Telegram: could not set the command menu; commands still work when typed', { reason });
  }
}
