import { constants, existsSync, statSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { basename, isAbsolute, join, resolve } from 'node:path';
import type { SwarmEvent } from '../core/types.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { cliContext, cwdOf, EXIT, withLedger, type CliIo } from './cli-context.ts';
import { CliError } from './cli-error.ts';
import { taskRef } from './task-ref.ts';
import { parseCliArgs } from './parse-cli-args.ts';

export const TASK_ARTIFACTS_USAGE =
  'chat-swarm task artifacts <task> [--json] [--copy NAME --to DIR [--force]]';

/** One file a task's result attached, as the CLI shows it. */
export interface ArtifactEntry {
  name: string;
  /** Where the file is (the swarm's stored copy when the record has one). */
  path: string;
  /** Bytes, from the record or the file; null when neither says. */
  size: number | null;
  sha256: string | null;
  attempt: number | null;
  /** Whether the file is still there. */
  present: boolean;
}

const OPTIONS = {
  db: { type: 'string' },
  config: { type: 'string' },
  json: { type: 'boolean' },
  copy: { type: 'string' },
  to: { type: 'string' },
  force: { type: 'boolean' },
} as const;

const fileSize = (path: string): number | null => {
  try {
    const s = statSync(path);
    return s.isFile() ? s.size : null;
  } catch {
    return null;
  }
};

/**
 * Reads one artifact record: a plain path (older ledgers) or `{name, path, bytes|size, sha256}`.
 * A relative path is taken relative to the work folder. Undefined for anything else.
 */
function toEntry(raw: unknown, attempt: number | null, workDir: string): ArtifactEntry | undefined {
  let name: string | undefined;
  let path: string | undefined;
  let size: number | null = null;
  let sha256: string | null = null;
  if (typeof raw === 'string') path = raw;
  else if (raw && typeof raw === 'object') {
    const r = raw as Record<string, unknown>;
    if (typeof r.path === 'string') path = r.path;
    if (typeof r.name === 'string') name = r.name;
    const bytes = typeof r.bytes === 'number' ? r.bytes : r.size;
    if (typeof bytes === 'number') size = bytes;
    if (typeof r.sha256 === 'string') sha256 = r.sha256;
  }
  if (!path) return undefined;
  const abs = isAbsolute(path) ? path : resolve(workDir, path);
  const present = fileSize(abs) !== null;
  return { name: name ?? basename(abs), path: abs, size: size ?? fileSize(abs), sha256, attempt, present };
}

/** The artifacts recorded by a task's results (task_done and task_review events), oldest first. */
export function artifactsOf(events: readonly SwarmEvent[], workDir: string): ArtifactEntry[] {
  const entries: ArtifactEntry[] = [];
  for (const e of events) {
    if (e.type !== 'task_done' && e.type !== 'task_review') continue;
    const list = e.data.artifacts;
    if (!Array.isArray(list)) continue;
    const attempt = typeof e.data.attempt === 'number' ? e.data.attempt : null;
    for (const raw of list) {
      const entry = toEntry(raw, attempt, workDir);
      if (entry) entries.push(entry);
    }
  }
  return entries;
}

function listArtifacts(ledger: Ledger, taskId: string, workDir: string): ArtifactEntry[] {
  if (!ledger.getTask(taskId)) throw new CliError(EXIT.problem, `no task ${taskId}`);
  return artifactsOf(ledger.events({ taskId }), workDir);
}

/** Copies one artifact (the newest of that name) into `dir`, refusing to overwrite without `force`. */
async function copyArtifact(
  entries: ArtifactEntry[],
  name: string,
  dir: string,
  force: boolean,
): Promise<string> {
  if (name !== basename(name) || name === '..' || name === '.')
    throw new CliError(
      EXIT.usage,
      `--copy takes an artifact's name as listed, like report.md; got '${name}'`,
    );
  const entry = entries.filter((e) => e.name === name).at(-1);
  if (!entry) {
    const names = [...new Set(entries.map((e) => e.name))];
    throw new CliError(
      EXIT.problem,
      `no artifact named ${name}; ${names.length ? `the task has ${names.join(', ')}` : 'the task has none'}`,
    );
  }
  if (!entry.present)
    throw new CliError(EXIT.problem, `artifact ${name} was recorded but ${entry.path} is gone`);
  await mkdir(dir, { recursive: true });
  const target = join(dir, name);
  if (!force && existsSync(target))
    throw new CliError(EXIT.problem, `${target} exists; pass --force to overwrite it`);
  try {
    await copyFile(entry.path, target, force ? 0 : constants.COPYFILE_EXCL);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new CliError(EXIT.failure, `cannot copy ${entry.path} to ${target}: ${code}`, { cause: err });
  }
  return target;
}

const human = (bytes: number | null): string =>
  bytes === null ? '?' : bytes < 10_240 ? `${bytes} B` : `${Math.round(bytes / 1024)} KiB`;

/** `chat-swarm task artifacts <task>`: lists a task's attached files, or copies one out. */
export async function runTaskArtifacts(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCliArgs({
    args: argv,
    options: OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  const [taskWord, extra] = positionals;
  const taskId = taskWord === undefined ? undefined : taskRef(taskWord);
  if (!taskId || extra !== undefined || (values.copy === undefined) !== (values.to === undefined))
    throw new CliError(EXIT.usage, `usage: ${TASK_ARTIFACTS_USAGE}`);
  const ctx = cliContext(values, io);
  const entries = withLedger(ctx, 'read', (ledger) => listArtifacts(ledger, taskId, ctx.config.workDir));
  if (values.copy !== undefined && values.to !== undefined) {
    const target = await copyArtifact(
      entries,
      values.copy,
      resolve(cwdOf(io), values.to),
      values.force ?? false,
    );
    io.out(
      values.json
        ? JSON.stringify({ copied: values.copy, to: target })
        : `copied ${values.copy} to ${target}`,
    );
    return EXIT.ok;
  }
  if (values.json) io.out(JSON.stringify(entries));
  else if (!entries.length) io.out(`${taskId} has no artifacts`);
  else
    io.out(
      entries
        .map(
          (e) =>
            `${e.name}  ${human(e.size)}  ${e.present ? e.path : `(gone: ${e.path})`}${e.sha256 ? `  sha256 ${e.sha256}` : ''}`,
        )
        .join('\n'),
    );
  return EXIT.ok;
}
