/**
 * Suggestions while a person fills in a native command's option (Discord autocomplete): the tasks
 * the command can act on, the agents, or the commands. Read-only and quick: it must answer within
 * the platform's deadline and cannot be deferred.
 */
import type { TaskStatus } from '../core/types.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { COMMAND_NAMES } from './command-types.ts';
import { NATIVE_COMMANDS } from './native-commands.ts';

/** Platforms show at most this many suggestions (Discord: 25). */
export const MAX_SUGGESTIONS = 25;
const NAME_MAX = 100;
const OPEN: TaskStatus[] = ['queued', 'claimed', 'blocked', 'review'];

/** The tasks each command can act on; other commands suggest the open ones. */
const TASK_STATES: Partial<Record<string, TaskStatus[]>> = {
  approve: ['review'],
  reject: ['review'],
  answer: ['blocked'],
  retry: ['failed', 'cancelled', 'queued'],
  status: ['queued', 'claimed', 'blocked', 'review', 'done', 'failed', 'cancelled'],
};

/** Up to 25 `{ name, value }` suggestions for `option` of command `name`, matching what was typed. */
export function suggestionsFor(
  ledger: Ledger,
  name: string,
  option: string,
  typed: string,
): Array<{ name: string; value: string }> {
  const spec = NATIVE_COMMANDS.find((c) => c.name === name)?.options.find((o) => o.name === option);
  const needle = String(typed).trim().toLowerCase().slice(0, 100);
  const matches = (...texts: string[]): boolean =>
    needle === '' || texts.some((t) => t.toLowerCase().includes(needle));
  switch (spec?.suggest) {
    case 'task':
      return ledger
        .listTasks({ status: TASK_STATES[name] ?? OPEN, limit: 1_000 })
        .filter((t) => matches(t.id, t.title))
        .sort((a, b) => b.createdAt - a.createdAt)
        .slice(0, MAX_SUGGESTIONS)
        .map((t) => ({ name: clip(`${t.id} · ${t.title}`), value: t.id }));
    case 'agent':
      return ledger
        .listAgents()
        .filter((a) => matches(a.id))
        .slice(0, MAX_SUGGESTIONS)
        .map((a) => ({ name: clip(`${a.id} (${a.status})`), value: a.id }));
    case 'command':
      return COMMAND_NAMES.filter((c) => matches(c))
        .slice(0, MAX_SUGGESTIONS)
        .map((c) => ({ name: `/${c}`, value: c }));
    default:
      return [];
  }
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > NAME_MAX ? `${flat.slice(0, NAME_MAX - 1)}…` : flat;
}
