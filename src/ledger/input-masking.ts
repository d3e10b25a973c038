import { LedgerError } from '../core/errors.ts';
import type { ArtifactRecord } from './attempt-ops.ts';
import type { NewTask } from './task-ops.ts';

/** What masks a text's secrets (the ledger's `SecretMasker`). */
export interface Masker {
  mask(text: string): string;
}

/** A new task with its title and body masked; throws when its key would need masking. */
export function maskNewTask(masker: Masker, input: NewTask): NewTask {
  // A key becomes the task id and shows everywhere; it cannot be masked, only refused.
  if (input.key !== undefined && masker.mask(input.key) !== input.key)
    throw new LedgerError('bad_key', 'key refused: it contains a secret or looks like a token');
  const masked: NewTask = { ...input, title: masker.mask(input.title) };
  if (input.body !== undefined) masked.body = masker.mask(input.body);
  return masked;
}

/** A result's text masked; an artifact whose name or path would hold a secret dropped, with a notice. */
export function maskOutcome(
  masker: Masker,
  result: string,
  artifacts: ArtifactRecord[],
  notices: string[],
): { result: string; artifacts: ArtifactRecord[]; notices: string[] } {
  const kept = artifacts.filter((a) => masker.mask(a.path) === a.path && masker.mask(a.name) === a.name);
  const dropped = artifacts.length - kept.length;
  const said = notices.map((n) => masker.mask(n));
  if (dropped) said.push(`${dropped} artifact(s) not attached: the file name holds a secret`);
  return { result: masker.mask(result), artifacts: kept, notices: said };
}

/** A stored schedule definition with its task's title and body masked, like any task's. */
function maskDefinition(masker: Masker, json: string): string {
  const parsed = JSON.parse(json) as { task?: { title?: unknown; body?: unknown } };
  const task = parsed.task;
  if (task && typeof task.title === 'string') task.title = masker.mask(task.title);
  if (task && typeof task.body === 'string') task.body = masker.mask(task.body);
  return JSON.stringify(parsed);
}

/** A schedule with its definition's task and its summary's title masked (chat-, CLI- or config-made). */
export function maskSchedule<T extends { definition: string; summary: { title: string } }>(
  masker: Masker,
  schedule: T,
): T {
  const summary = { ...schedule.summary, title: masker.mask(schedule.summary.title) };
  return { ...schedule, definition: maskDefinition(masker, schedule.definition), summary };
}
