import { createReadStream, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { toNewTask } from '../commands/to-new-task.ts';
import { SecretMasker } from '../core/secret-masker.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { cliContext, cwdOf, EXIT, withLedger, type CliIo } from './cli-context.ts';
import { CliError } from './cli-error.ts';
import { keyReuseWarning } from './cmd-task-add.ts';
import { cliActor } from './cmd-task-control.ts';
import { parseCliArgs } from './parse-cli-args.ts';
import { readAtMost } from './read-at-most.ts';
import {
  isTaskLine,
  parseImportLines,
  splitLines,
  type ImportedTask,
  type ImportLines,
  type LineProblem,
} from './task-import-lines.ts';

export const TASK_IMPORT_USAGE = 'chat-swarm task import <file.jsonl | -> [--json]';

/** How much one import takes, and how it is written and reported. */
export const IMPORT_LIMITS = {
  maxBytes: 10 * 1_048_576,
  maxTasks: 100_000,
  /** Tasks a transaction creates: a big file never holds the write lock for seconds. */
  batchTasks: 1_000,
  /** Bad lines (and key warnings) listed before "and N more". */
  shownLines: 20,
} as const satisfies Record<string, number>;

/** One line's outcome: the task it names, and whether this import created it. */
interface ImportResult {
  line: number;
  id: string;
  created: boolean;
  warning?: string;
}

const usageError = (problem: string): CliError =>
  new CliError(EXIT.usage, `${problem}\nusage: ${TASK_IMPORT_USAGE}`);

/** The input, from a file (relative to the current folder) or standard input, within the size limit. */
async function readInput(source: string, io: CliIo): Promise<string> {
  const max = IMPORT_LIMITS.maxBytes;
  let text: string;
  if (source === '-') {
    if (!io.readStdin) throw usageError('- reads standard input, which is not available here');
    text = await io.readStdin(max);
  } else {
    const path = resolve(cwdOf(io), source);
    try {
      text = (await readAtMost(createReadStream(path), max)).toString('utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new CliError(EXIT.usage, `cannot read the tasks from ${path}: ${code}`, { cause: err });
    }
  }
  if (Buffer.byteLength(text, 'utf8') > max)
    throw usageError(`the input is over ${max} bytes (10 MiB), the most one import takes; split it`);
  return text;
}

/** The bad lines as one message: the first few with their line numbers, then how many more. */
function problemList(problems: readonly LineProblem[]): string {
  const shown = problems.slice(0, IMPORT_LIMITS.shownLines).map((p) => `  line ${p.line}: ${p.problem}`);
  const more = problems.length - shown.length;
  const s = problems.length === 1 ? '' : 's';
  return [
    `${problems.length} bad line${s}; nothing was created:`,
    ...shown,
    ...(more > 0 ? [`  … and ${more} more`] : []),
  ].join('\n');
}

/**
 * What needs the ledger's knowledge: `after` tasks that are not in it (`known` says which are), and
 * keys that would be refused because they hold a secret or look like a token.
 */
function ledgerProblems(
  parsed: ImportLines,
  known: (id: string) => boolean,
  masker: SecretMasker,
): LineProblem[] {
  const seen = new Map<string, boolean>();
  const isKnown = (id: string): boolean => {
    let found = seen.get(id);
    if (found === undefined) seen.set(id, (found = known(id)));
    return found;
  };
  const problems: LineProblem[] = [];
  parsed.tasks.forEach(({ line, command }, i) => {
    if (command.key !== undefined && masker.mask(command.key) !== command.key)
      problems.push({ line, problem: 'key refused: it contains a secret or looks like a token' });
    const missing = (parsed.outside.get(i) ?? []).filter((id) => !isKnown(id));
    if (missing.length)
      problems.push({
        line,
        problem: `"after" names ${missing.join(', ')}, which ${missing.length > 1 ? 'are' : 'is'} neither in the ledger nor the key of a line above`,
      });
  });
  return problems;
}

/** Creates the tasks in order, a batch per transaction; on a failure says how far it got. */
function createAll(ledger: Ledger, tasks: readonly ImportedTask[], io: CliIo): ImportResult[] {
  const actor = cliActor(io);
  const results: ImportResult[] = [];
  for (let from = 0; from < tasks.length; from += IMPORT_LIMITS.batchTasks) {
    const batch = tasks.slice(from, from + IMPORT_LIMITS.batchTasks);
    try {
      const done = ledger.transaction(() =>
        batch.map(({ line, command }): ImportResult => {
          const res = ledger.createTask(toNewTask(command), actor);
          const warning = res.created ? undefined : keyReuseWarning(ledger, res.task, command);
          return { line, id: res.task.id, created: res.created, ...(warning ? { warning } : {}) };
        }),
      );
      results.push(...done);
    } catch (err) {
      const last = results.at(-1);
      io.err(
        `the import stopped: ${results.length} of ${tasks.length} lines were done` +
          `${last ? ` (up to line ${last.line}, ${last.id})` : ''}; with keys on every line, running the same import again finishes it`,
      );
      throw err;
    }
  }
  return results;
}

/** The one-line summary and the ids, first to last when there are many. */
function summary(results: readonly ImportResult[]): string {
  const created = results.filter((r) => r.created).length;
  const head = `created ${created}, already present ${results.length - created} (same key)`;
  if (results.length === 0) return head;
  const ids = results.map((r) => r.id);
  return results.length <= 10
    ? `${head}: ${ids.join(', ')}`
    : `${head}: ${ids[0]} … ${ids.at(-1)} (--json lists every id)`;
}

/**
 * `chat-swarm task import <file | ->`: creates one task per JSON line, by `task add`'s rules. Every
 * line is checked before anything is written: one bad line and nothing is created (exit 2).
 */
export async function runTaskImport(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCliArgs({
    args: argv,
    options: { db: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
  const [source, extra] = positionals;
  if (source === undefined) throw usageError('name the file of tasks, or - for standard input');
  if (extra !== undefined) throw usageError(`one file at a time, got ${positionals.length}`);
  const ctx = cliContext(values, io);
  const masker = new SecretMasker(ctx.secrets);
  const lines = splitLines(await readInput(source, io));
  const count = lines.filter(isTaskLine).length;
  if (count > IMPORT_LIMITS.maxTasks)
    throw usageError(
      `the input holds ${count} tasks; the most one import takes is ${IMPORT_LIMITS.maxTasks}`,
    );
  const parsed = parseImportLines(lines);
  if (parsed.tasks.length === 0 && parsed.problems.length === 0) {
    io.out(
      values.json
        ? JSON.stringify({ db: ctx.dbPath, created: 0, present: 0, tasks: [] })
        : `no tasks in ${source === '-' ? 'standard input' : source}; created nothing`,
    );
    return EXIT.ok;
  }
  // Every bad line at once, those only the ledger can tell included.
  const check = (known: (id: string) => boolean): void => {
    const problems = [...parsed.problems, ...ledgerProblems(parsed, known, masker)];
    if (problems.length)
      throw new CliError(EXIT.usage, masker.mask(problemList(problems.sort((a, b) => a.line - b.line))));
  };
  // Without a ledger yet, every task in "after" is unknown: refuse before creating the file.
  if (!existsSync(ctx.dbPath)) check(() => false);
  return withLedger(ctx, 'create', (ledger) => {
    check((id) => ledger.getTask(id) !== undefined);
    const results = createAll(ledger, parsed.tasks, io);
    const warned = results.filter((r) => r.warning !== undefined);
    for (const r of warned.slice(0, IMPORT_LIMITS.shownLines))
      io.err(`warning: line ${r.line}: ${r.warning}`);
    if (warned.length > IMPORT_LIMITS.shownLines)
      io.err(
        `warning: … and ${warned.length - IMPORT_LIMITS.shownLines} more lines whose key names a different task`,
      );
    const created = results.filter((r) => r.created).length;
    io.out(
      values.json
        ? JSON.stringify({ db: ctx.dbPath, created, present: results.length - created, tasks: results })
        : summary(results),
    );
    return EXIT.ok;
  });
}
