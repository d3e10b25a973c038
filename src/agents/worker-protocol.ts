/**
 * The line protocol a shell worker speaks on standard output. A line that starts with one of these
 * prefixes is a message to the swarm; every other line (including other lines starting with `:`) is
 * part of the result.
 *
 *   ::progress [<pct>[%]] <text>   progress; pct is clamped to 0–100, omitted means unknown
 *   ::ask <question>               a question for the humans; the answer comes back as one stdin line
 *   ::artifact <path>              a file to attach: a regular file inside the working directory
 *   ::log <text>                   a diagnostic, logged at debug and left out of the result
 *   ::usage <json>                 usage of a step (tokens, cost, model), added up (see usage-line.ts)
 *   ::session <id>                 the agent CLI's session id, kept with the attempt
 *
 * Prefixes are lowercase and must be followed by a space, a tab or the end of the line. `::ask` and
 * `::artifact` without an argument are not messages and stay in the result.
 */

import type { UsageReport } from '../core/usage.ts';
import { parseUsageJson } from './usage-line.ts';

/** A message to the swarm found on one line of a worker's standard output. */
export type ProtocolMessage =
  | { kind: 'progress'; pct: number | null; text: string }
  | { kind: 'ask'; question: string }
  | { kind: 'artifact'; path: string }
  | { kind: 'log'; text: string }
  | { kind: 'usage'; report: UsageReport }
  /** A `::usage` line that is not a valid report: ignored, with the problem logged. */
  | { kind: 'bad-usage'; problem: string }
  | { kind: 'session'; id: string };

/** What the parser yields: a protocol message, or a piece of result output (`eol`: a newline ended it). */
export type ParsedLine = ProtocolMessage | { kind: 'output'; text: string; eol: boolean };

const MESSAGE_LINE = /^::(progress|ask|artifact|log|usage|session)(?:[ \t]+([\s\S]*))?$/;
const LEADING_PCT = /^(-?\d+(?:\.\d+)?)%?(?:[ \t]+|$)/;

/** Reads one line (without its newline) as a protocol message, or returns null for result output. */
export function parseProtocolLine(line: string): ProtocolMessage | null {
  const match = MESSAGE_LINE.exec(line);
  if (!match) return null;
  const arg = (match[2] ?? '').trim();
  switch (match[1]) {
    case 'progress': {
      const pct = LEADING_PCT.exec(arg);
      if (!pct) return { kind: 'progress', pct: null, text: arg };
      const value = Math.min(100, Math.max(0, Number(pct[1])));
      return { kind: 'progress', pct: value, text: arg.slice(pct[0].length) };
    }
    case 'ask':
      return arg ? { kind: 'ask', question: arg } : null;
    case 'artifact':
      return arg ? { kind: 'artifact', path: arg } : null;
    case 'usage': {
      const parsed = parseUsageJson(arg);
      return parsed.ok
        ? { kind: 'usage', report: parsed.report }
        : { kind: 'bad-usage', problem: parsed.problem };
    }
    case 'session':
      // A session id is one short word; anything else is not one and stays in the result.
      return /^[\w.:-]{1,200}$/.test(arg) ? { kind: 'session', id: arg } : null;
    default:
      return { kind: 'log', text: arg };
  }
}

/** Splits decoded standard output into lines across arbitrary chunk boundaries and parses each. */
export interface ProtocolParser {
  /** Feeds a chunk; returns what the complete lines in it (and before it) say. */
  push(chunk: string): ParsedLine[];
  /** Ends the stream; a last line without a newline is parsed too. */
  end(): ParsedLine[];
}

/** Longest partial line kept waiting for its newline; beyond it the line is passed on as output. */
export const DEFAULT_MAX_LINE_CHARS = 65_536;

/**
 * Creates a parser. CRLF line ends count as LF. A line longer than `maxLineChars` cannot be a
 * protocol message: it is passed on in pieces as output, so a newline-free flood cannot grow memory.
 */
export function createProtocolParser(maxLineChars: number = DEFAULT_MAX_LINE_CHARS): ProtocolParser {
  let pending = '';
  // True while the rest of an over-long line is still arriving; that rest is plain output.
  let overlong = false;

  const toParsed = (raw: string, eol: boolean): ParsedLine => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (overlong) {
      overlong = !eol;
      return { kind: 'output', text: line, eol };
    }
    return parseProtocolLine(line) ?? { kind: 'output', text: line, eol };
  };

  return {
    push(chunk) {
      const out: ParsedLine[] = [];
      const data = pending + chunk;
      let start = 0;
      for (let nl = data.indexOf('\n'); nl !== -1; nl = data.indexOf('\n', start)) {
        out.push(toParsed(data.slice(start, nl), true));
        start = nl + 1;
      }
      pending = data.slice(start);
      if (pending.length > maxLineChars) {
        out.push({ kind: 'output', text: pending, eol: false });
        pending = '';
        overlong = true;
      }
      return out;
    },
    end() {
      const out: ParsedLine[] = pending ? [toParsed(pending, false)] : [];
      pending = '';
      overlong = false;
      return out;
    },
  };
}

/** Turns an answer into the one line written to the worker's stdin: line breaks become spaces. */
export function toAnswerLine(answer: string): string {
  return answer.replace(/\r\n|\r|\n/g, ' ') + '\n';
}
