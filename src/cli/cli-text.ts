import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { cwdOf, EXIT, type CliIo } from './cli-context.ts';
import { CliError } from './cli-error.ts';

/**
 * Most text one CLI argument may carry (a task body, an answer, a note). The chat keeps its own
 * 20,000-character limit per message; the command line is not a chat message and takes more.
 */
export const MAX_CLI_TEXT_BYTES = 1_048_576;

function checkSize(text: string, what: string): string {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_CLI_TEXT_BYTES)
    throw new CliError(EXIT.usage, `${what} is ${bytes} bytes; the most is ${MAX_CLI_TEXT_BYTES} (1 MiB)`);
  return text;
}

/** All of standard input as text, within the size limit. */
export async function stdinText(io: CliIo, what: string): Promise<string> {
  if (!io.readStdin)
    throw new CliError(EXIT.usage, `${what}: - reads standard input, which is not available here`);
  return checkSize(await io.readStdin(), what);
}

/**
 * Free text given on the command line: several words are joined with spaces, a lone `-` reads
 * standard input. Undefined when no word was given.
 */
export async function textFromWords(words: string[], io: CliIo, what: string): Promise<string | undefined> {
  if (words.length === 0) return undefined;
  if (words.length === 1 && words[0] === '-') return stdinText(io, what);
  return checkSize(words.join(' '), what);
}

/** A text file named on the command line (relative to the current folder), within the size limit. */
export async function fileText(file: string, io: CliIo, what: string): Promise<string> {
  const path = resolve(cwdOf(io), file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new CliError(EXIT.usage, `cannot read ${what} from ${path}: ${code}`, { cause: err });
  }
  return checkSize(text, what);
}
