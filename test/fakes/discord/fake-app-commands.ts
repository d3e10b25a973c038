/**
 * Guild application commands in the fake: a bulk overwrite validated as Discord validates chat-input
 * commands (names, descriptions, option types, required options first, at most 25 options), with
 * the daily limit of 200 new commands per guild (a command whose name already exists is an edit and
 * does not count).
 * @see https://discord.com/developers/docs/interactions/application-commands#bulk-overwrite-guild-application-commands
 */
import { apiError, invalidField, type FakeReply } from './fake-api-error.ts';

export interface CommandRegistry {
  /** Registered commands by `appId:guildId`, as Discord returns them. */
  commands: Map<string, Array<Record<string, unknown>>>;
  /** New commands created per `appId:guildId` and day. */
  createsToday: Map<string, number>;
  /** When the last command writes were made, for their own rate limit. */
  writes: number[];
  /** Successful bulk overwrites, for tests that count registrations. */
  overwrites: number;
}

export const DAILY_COMMAND_CREATES = 200;
const NAME = /^[-_\p{Ll}\p{Lo}\p{N}]{1,32}$/u;
const OPTION_TYPES = new Set([3, 4, 5, 6, 7, 8, 9, 10, 11]);

/** Validates and stores a bulk overwrite; returns the commands with their ids. */
export function registerCommands(
  registry: CommandRegistry,
  key: string,
  body: unknown,
  nextId: () => string,
  applicationId: string,
  guildId: string,
  now: number,
): FakeReply {
  if (!Array.isArray(body))
    return invalidField('_errors', 'MODEL_TYPE_CONVERT', 'Only iterables may be used in a ListType');
  if (body.length > 100)
    return invalidField('_errors', 'BASE_TYPE_MAX_LENGTH', 'Must be 100 or fewer in length.');
  const existing = new Map((registry.commands.get(key) ?? []).map((c) => [String(c.name), c]));
  const names = new Set<string>();
  for (const [n, raw] of body.entries()) {
    const c = (raw ?? {}) as Record<string, unknown>;
    const problem = commandProblem(c);
    if (problem) return invalidField(`${n}.${problem.field}`, 'BASE_TYPE_BAD_LENGTH', problem.message);
    if (names.has(String(c.name)))
      return apiError(400, 50035, 'Invalid Form Body', {
        [n]: {
          _errors: [
            {
              code: 'APPLICATION_COMMANDS_DUPLICATE_NAME',
              message: 'Application command names must be unique',
            },
          ],
        },
      });
    names.add(String(c.name));
  }
  const day = `${key}:${Math.floor(now / 86_400_000)}`;
  const creates = body.filter((c) => !existing.has(String((c as Record<string, unknown>).name))).length;
  const used = registry.createsToday.get(day) ?? 0;
  if (used + creates > DAILY_COMMAND_CREATES)
    return apiError(429, 30034, 'Max number of daily application command creates has been reached (200)');
  registry.createsToday.set(day, used + creates);
  const stored = body.map((raw) => {
    const c = raw as Record<string, unknown>;
    const id = existing.get(String(c.name))?.id ?? nextId();
    return {
      ...c,
      id,
      application_id: applicationId,
      guild_id: guildId,
      type: c.type ?? 1,
      version: nextId(),
    };
  });
  registry.commands.set(key, stored);
  registry.overwrites += 1;
  return { status: 200, body: stored };
}

function commandProblem(c: Record<string, unknown>): { field: string; message: string } | undefined {
  if (typeof c.name !== 'string' || !NAME.test(c.name))
    return { field: 'name', message: 'Command name is invalid' };
  if (typeof c.description !== 'string' || c.description.length < 1 || c.description.length > 100)
    return { field: 'description', message: 'Must be between 1 and 100 in length.' };
  const options = c.options === undefined ? [] : c.options;
  if (!Array.isArray(options) || options.length > 25)
    return { field: 'options', message: 'Must be 25 or fewer in length.' };
  let optional = false;
  for (const [i, raw] of options.entries()) {
    const o = (raw ?? {}) as Record<string, unknown>;
    if (typeof o.name !== 'string' || !NAME.test(o.name))
      return { field: `options.${i}.name`, message: 'Option name is invalid' };
    if (typeof o.description !== 'string' || o.description.length < 1 || o.description.length > 100)
      return { field: `options.${i}.description`, message: 'Must be between 1 and 100 in length.' };
    if (!OPTION_TYPES.has(Number(o.type)))
      return { field: `options.${i}.type`, message: 'Value is not a valid option type.' };
    if (o.autocomplete === true && ![3, 4, 10].includes(Number(o.type)))
      return {
        field: `options.${i}.autocomplete`,
        message: 'Autocomplete is only for string, integer and number options.',
      };
    if (o.required === true && optional)
      return {
        field: `options.${i}.required`,
        message: 'Required options must be placed before non-required options',
      };
    if (o.required !== true) optional = true;
  }
  return undefined;
}
