import type { MessageAction } from '../../src/chat/chat-port.ts';

/**
 * A terminal has no buttons: a message's actions become one line of hints naming the typed command
 * that does the same, e.g. `[approve: /approve T-3] [reject: /reject T-3 <feedback>]`.
 */
export function withActionHints(text: string, actions: readonly MessageAction[] | undefined): string {
  if (!actions?.length) return text;
  const hints = actions.map((a) => `[${a.command.slice(1).split(' ')[0] ?? ''}: ${a.command}]`).join(' ');
  return `${text}\n${hints}`;
}
