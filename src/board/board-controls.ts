import { z } from 'zod';
import { applyCommand } from '../commands/command-handler.ts';
import { parseCommand } from '../commands/command-grammar.ts';
import { COMMAND_LIMITS } from '../commands/command-types.ts';
import { describeError, LedgerError } from '../core/errors.ts';
import type { Ledger } from '../ledger/ledger.ts';

/** A control from the board: the command text, exactly as it would be typed in the chat. */
export const boardCommandSchema = z
  .object({ text: z.string().min(1, 'empty command').max(COMMAND_LIMITS.maxInputChars) })
  .strict();

/** What a control did, as the HTTP answer carries it. */
export type ControlResult =
  | { status: 200; body: { ok: true; command: string; reply: string | null } }
  | { status: 400; body: { error: string; usage?: string } }
  | { status: 404 | 409; body: { error: string } };

/**
 * Applies a command from the board through the chat's own path: the chat grammar reads it (same
 * checks, same messages) and the command handler's `applyCommand` runs it with `actor` (so it is
 * recorded and mirrored to the chat like any other). A request the ledger refuses changes nothing.
 */
export function runBoardCommand(ledger: Ledger, text: string, actor: string): ControlResult {
  const parsed = parseCommand(text);
  if (parsed.kind === 'none')
    return { status: 400, body: { error: 'not a command: write it as in the chat, like /approve T-3' } };
  if (parsed.kind === 'error') return { status: 400, body: { error: parsed.message, usage: parsed.usage } };
  try {
    const reply = ledger.transaction(() => applyCommand(ledger, parsed.command, actor, ledger.core.now()));
    return { status: 200, body: { ok: true, command: parsed.command.name, reply: reply ?? null } };
  } catch (err) {
    if (!(err instanceof LedgerError)) throw err;
    return { status: err.code === 'unknown_task' ? 404 : 409, body: { error: describeError(err) } };
  }
}
