/**
 * What the per-command parsers share: the text after the command word, the outcome type, and
 * the step that runs a zod schema over the typed words and turns its issues into one message.
 */
import type { z } from 'zod';
import { tokenize, unquoteText, type Token } from './command-text.ts';

/** The message after the command word: `plain` for free text, `view` for tokenising, same offsets. */
export interface CommandArgs {
  plain: string;
  view: string;
  /** Offset just after the command word. */
  start: number;
}

/** A parser's outcome: the value, or what was wrong with what was typed. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

/** Runs `schema` over raw words; on failure joins the distinct issue messages (at most three). */
export function validate<S extends z.ZodType>(schema: S, input: unknown): Parsed<z.output<S>> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  const messages = [...new Set(result.error.issues.map((issue) => issue.message))];
  return { ok: false, problem: messages.slice(0, 3).join('; ') };
}

/** The words after the command word, across all lines. */
export function argTokens(args: CommandArgs): Token[] {
  return tokenize(args.view, args.start);
}

/** Free text after the given token (or after the command word), trimmed, unquoted; undefined if blank. */
export function textAfter(args: CommandArgs, token: Token | undefined): string | undefined {
  const from = token?.end ?? args.start;
  const plain = args.plain.slice(from).trim();
  if (plain === '') return undefined;
  const text = unquoteText(plain, args.view.slice(from).trim());
  return text === '' ? undefined : text;
}
