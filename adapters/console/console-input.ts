import { commandForWord } from '../../src/commands/command-catalog.ts';
import type { CommandName } from '../../src/commands/command-types.ts';

/** A line typed at the console, split into its reply target and its text. */
export interface ConsoleInput {
  text: string;
  /** Set when the line starts with `>#<id> ` (a reply to message #id). */
  replyToMessageId?: string;
}

const REPLY = /^>\s?#(\d+)\s+([\s\S]*)$/;

/**
 * Parses one input line. `>#7 blue` (also `> #7 blue`) replies to message #7 with "blue"; anything
 * else is a plain message. Returns undefined for blank lines, which carry nothing.
 */
export function parseConsoleInput(line: string): ConsoleInput | undefined {
  const trimmed = line.replace(/\r$/, '');
  if (trimmed.trim() === '') return undefined;
  const reply = REPLY.exec(trimmed);
  if (reply && reply[2]!.trim() !== '') return { text: reply[2]!, replyToMessageId: reply[1]! };
  return { text: trimmed };
}

// The start of a chat command: prefix, word, optional `@bot` (as the grammar's head reads it).
const COMMAND_HEAD = /^\s*[/!]([A-Za-z][A-Za-z0-9_]{0,31})(?:@[A-Za-z0-9_]{1,64})?[?.!,:;]*(?=\s|$)/;

/** The command a typed line starts, if any (`/task`, `!new@bot`, …). */
function commandOf(line: string): CommandName | undefined {
  const head = COMMAND_HEAD.exec(line);
  return head ? commandForWord(head[1] ?? '') : undefined;
}

/**
 * Joins typed lines into messages. A `/task` line (or `/new`, `/create`) opens a multi-line message:
 * the lines typed after it are its body, up to an empty line, a line that is itself a command
 * (which then counts on its own), or the end of input. Every other line is one message.
 */
export interface ConsoleInputAssembler {
  /** Takes one typed line; returns the messages it completes, in order (often none or one). */
  push(line: string): ConsoleInput[];
  /** Ends the open multi-line message, if any (end of input, or the input went quiet). */
  flush(): ConsoleInput | undefined;
  /** A multi-line message is open. */
  readonly pending: boolean;
}

/** Creates an assembler for one input stream. */
export function createConsoleInputAssembler(): ConsoleInputAssembler {
  let open: string[] | undefined;
  const flush = (): ConsoleInput | undefined => {
    const lines = open;
    open = undefined;
    return lines === undefined ? undefined : { text: lines.join('\n').trimEnd() };
  };
  return {
    get pending() {
      return open !== undefined;
    },
    push(raw) {
      const line = raw.replace(/\r$/, '');
      const out: ConsoleInput[] = [];
      if (open !== undefined) {
        if (line.trim() !== '' && commandOf(line) === undefined) {
          open.push(line);
          return out;
        }
        const done = flush();
        if (done) out.push(done);
        if (line.trim() === '') return out;
      }
      const parsed = parseConsoleInput(line);
      if (parsed === undefined) return out;
      if (parsed.replyToMessageId === undefined && commandOf(parsed.text) === 'task') open = [parsed.text];
      else out.push(parsed);
      return out;
    },
    flush,
  };
}
