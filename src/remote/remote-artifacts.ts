import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { collectArtifacts } from '../agents/artifact-collector.ts';
import { createAttemptFolder } from '../agents/attempt-folder.ts';
import { capText, DefaultAttemptLimits } from '../agents/attempt-limits.ts';
import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { ResultBundle, Tag } from './protocol-types.ts';
import { SAFE_ARTIFACT_NAME } from './result-intake.ts';

/** What a remote attempt's artifacts turned into: the files for the result bundle, and why others were left out. */
export interface RemoteArtifacts {
  artifacts: ResultBundle['artifacts'];
  /** One line per refused artifact (`artifact <path> not attached: <reason>`), for the result the channel shows. */
  refused: string[];
}

/** What {@link readRemoteArtifacts} needs besides the paths. */
export interface RemoteArtifactOptions {
  tag: Tag;
  /** The attempt's folder: only regular files inside it are attached. */
  workDir: string;
  /** Where the checked copies are made (outside every attempt folder); removed once read. */
  copyRoot: string;
  /** Largest total size of the artifacts of one attempt (they travel in one result bundle). */
  maxTotalBytes: number;
  /** Values that must never leave in a file (this agent's bot token). */
  secrets: readonly string[];
  log: Logger;
}

/**
 * Checks and reads the artifacts a remote worker named, through the local agents' checked path
 * (`collectArtifacts`: regular files inside the attempt folder only, opened without following a
 * link, checked on the open descriptor, per-file and per-attempt caps, no secret inside), then
 * reads each checked copy into the result bundle. Never throws for a bad artifact.
 */
export async function readRemoteArtifacts(
  paths: readonly string[],
  o: RemoteArtifactOptions,
): Promise<RemoteArtifacts> {
  if (!paths.length) return { artifacts: [], refused: [] };
  const fields = { tag: `${o.tag.taskId}#${o.tag.attempt}` };
  let copies: string | undefined;
  try {
    const { records, refused } = await collectArtifacts(paths, {
      workDir: o.workDir,
      destDir: () => (copies ??= createAttemptFolder(o.copyRoot, o.tag.taskId, o.tag.attempt)),
      limits: {
        maxArtifactBytes: Math.min(DefaultAttemptLimits.maxArtifactBytes, o.maxTotalBytes),
        maxArtifactTotalBytes: o.maxTotalBytes,
      },
      secrets: o.secrets,
    });
    const lines = refused.map((r) => `artifact ${capText(r.path, 200)} not attached: ${r.reason}`);
    for (const r of refused)
      o.log.warn('remote: artifact refused', { ...fields, path: r.path, reason: r.reason });
    const artifacts: ResultBundle['artifacts'] = [];
    const names = new Set<string>();
    for (const record of records) {
      const content = readFileSync(record.path);
      const sha256 = createHash('sha256').update(content).digest('hex');
      // The copy is ours, but it sits on disk a moment: what is sent must be what was checked.
      if (sha256 !== record.sha256 || content.length !== record.bytes) {
        lines.push(`artifact ${capText(record.name, 200)} not attached: changed after it was checked`);
        continue;
      }
      let name = record.name;
      if (!SAFE_ARTIFACT_NAME.test(name) || name.includes('..')) name = `artifact-${artifacts.length + 1}`;
      while (names.has(name)) name = `x${name}`.slice(0, 100);
      names.add(name);
      artifacts.push({ name, size: content.length, sha256, base64: content.toString('base64') });
    }
    return { artifacts, refused: lines };
  } catch (err) {
    o.log.error('remote: artifacts could not be collected', { ...fields, error: describeError(err) });
    return { artifacts: [], refused: [`${paths.length} artifact(s) not attached: ${describeError(err)}`] };
  } finally {
    // The bundle carries the bytes from here on (kept in the agent's store until delivered).
    if (copies !== undefined) rmSync(copies, { recursive: true, force: true });
  }
}
