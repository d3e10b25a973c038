import type { ArtifactRecord } from '../ledger/attempt-ops.ts';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingAttachment } from '../chat/chat-port.ts';
import { describeError } from '../core/errors.ts';
import { resultBundleSchema, formatTag, type ProtocolOf } from './protocol-types.ts';

/** What the orchestrator keeps of a remote result, ready for the ledger. */
export type IntakeResult =
  | { ok: true; outcome: 'ok' | 'fail'; text: string; artifacts: ArtifactRecord[] }
  /** `retry`: nothing is wrong with the message, the file could not be fetched now. */
  | { ok: false; why: 'bad_result' | 'bad_artifact' | 'too_large' | 'retry'; detail: string };

export interface IntakeOptions {
  /** Where the attempt's files go: `<root>/<task>/attempt-<n>/`. */
  root: string;
  maxBundleBytes: number;
  download: ((attachment: IncomingAttachment, maxBytes: number) => Promise<Buffer>) | undefined;
}

/** A name an artifact may be stored under: one path segment, no hidden files, nothing odd. */
export const SAFE_ARTIFACT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** The attempt's folder for remote files, named from a checked task id. */
export function remoteAttemptDir(root: string, taskId: string, attempt: number): string {
  return join(root, taskId.replace(/[^A-Za-z0-9._-]/g, '_'), `attempt-${attempt}`);
}

/**
 * Reads a remote result: inline text, or the attached JSON bundle with its artifacts, each checked
 * against its size and SHA-256 and written (private to this user) under the attempt's folder.
 */
export async function takeInResult(
  m: ProtocolOf<'result'>,
  attachments: IncomingAttachment[],
  options: IntakeOptions,
): Promise<IntakeResult> {
  if (m.bundle === undefined) return { ok: true, outcome: m.outcome, text: m.text ?? '', artifacts: [] };
  const file = attachments.find((a) => a.fileName === m.bundle);
  if (!file) return { ok: false, why: 'bad_result', detail: `the message has no file ${m.bundle}` };
  if (file.size > options.maxBundleBytes) {
    return {
      ok: false,
      why: 'too_large',
      detail: `${file.size} bytes; a result may have ${options.maxBundleBytes}`,
    };
  }
  if (!options.download) return { ok: false, why: 'bad_result', detail: 'this platform cannot fetch files' };
  let raw: Buffer;
  try {
    raw = await options.download(file, options.maxBundleBytes);
  } catch (err) {
    return { ok: false, why: 'retry', detail: describeError(err) };
  }
  let parsed;
  try {
    parsed = resultBundleSchema.safeParse(JSON.parse(raw.toString('utf8')));
  } catch {
    return { ok: false, why: 'bad_result', detail: 'the result file is not JSON' };
  }
  if (!parsed.success)
    return { ok: false, why: 'bad_result', detail: 'the result file does not fit the schema' };
  const bundle = parsed.data;
  if (bundle.tag !== formatTag(m.tag))
    return { ok: false, why: 'bad_result', detail: 'the file is for another attempt' };
  const text = (m.outcome === 'ok' ? bundle.output : bundle.error) ?? '';
  const files: Array<{ name: string; content: Buffer; sha256: string }> = [];
  const names = new Set<string>();
  for (const a of bundle.artifacts) {
    if (!SAFE_ARTIFACT_NAME.test(a.name) || a.name.includes('..') || names.has(a.name))
      return { ok: false, why: 'bad_artifact', detail: `artifact name refused: ${a.name.slice(0, 60)}` };
    names.add(a.name);
    const content = Buffer.from(a.base64, 'base64');
    if (content.length !== a.size)
      return {
        ok: false,
        why: 'bad_artifact',
        detail: `${a.name}: ${content.length} bytes, ${a.size} declared`,
      };
    if (createHash('sha256').update(content).digest('hex') !== a.sha256)
      return { ok: false, why: 'bad_artifact', detail: `${a.name}: SHA-256 does not match` };
    files.push({ name: a.name, content, sha256: a.sha256 });
  }
  const dir = remoteAttemptDir(options.root, m.tag.taskId, m.tag.attempt);
  // Recorded like a local agent's checked copies: the poster uploads a copy only if it still matches.
  const records: ArtifactRecord[] = [];
  if (files.length > 0) mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const f of files) {
    const path = join(dir, f.name);
    writeFileSync(path, f.content, { mode: 0o600 });
    records.push({ name: f.name, path, bytes: f.content.length, sha256: f.sha256 });
  }
  return { ok: true, outcome: m.outcome, text, artifacts: records };
}
