import { readOpenFile } from '../core/read-open-file.ts';
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import { basename, isAbsolute, relative, resolve, sep } from 'node:path';
import type { SwarmEvent } from '../core/types.ts';

/** A file a result attached, as its event recorded it: a path (older agents) or the swarm's checked copy. */
export interface ArtifactRef {
  /** Event that recorded it, and its place in the event's list: together its address on the board. */
  seq: number;
  index: number;
  name: string;
  path: string;
  bytes: number | null;
  sha256: string | null;
}

/** The largest artifact the board hands out. */
export const MAX_ARTIFACT_BYTES = 64 * 1024 * 1024;

const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;

/** The artifacts a task's events recorded (results and results for review), oldest first. */
export function artifactRefs(events: readonly SwarmEvent[]): ArtifactRef[] {
  const refs: ArtifactRef[] = [];
  for (const e of events) {
    const list: unknown = e.data.artifacts;
    if (!Array.isArray(list)) continue;
    list.forEach((item: unknown, index) => {
      if (typeof item === 'string') {
        refs.push({ seq: e.seq, index, name: basename(item), path: item, bytes: null, sha256: null });
      } else if (typeof item === 'object' && item !== null) {
        const rec = item as Record<string, unknown>;
        if (typeof rec.path !== 'string') return;
        refs.push({
          seq: e.seq,
          index,
          name: typeof rec.name === 'string' ? rec.name : basename(rec.path),
          path: rec.path,
          bytes: typeof rec.bytes === 'number' ? rec.bytes : null,
          sha256: typeof rec.sha256 === 'string' ? rec.sha256 : null,
        });
      }
    });
  }
  return refs;
}

/** True when `path` is below `root` (both absolute and resolved). */
function isBelow(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/** The folders under the work root that hold what agents attached: the attempt folders and the swarm's copies. */
export function artifactRoots(workDir: string): string[] {
  return [resolve(workDir, 'tasks'), resolve(workDir, 'artifacts')];
}

export type ArtifactOpen =
  { ok: true; name: string; content: Buffer } | { ok: false; status: 403 | 404 | 410 | 413; reason: string };

/**
 * Reads an artifact for download, only when it is a regular file whose real location (symbolic links
 * resolved) is inside one of `roots`, opened without following a final link and checked to be that
 * same file, no larger than {@link MAX_ARTIFACT_BYTES}, and, when its event recorded a checksum, still
 * exactly that. Anything else is refused with a reason; nothing outside the roots is ever read.
 */
export async function openArtifact(ref: ArtifactRef, roots: readonly string[]): Promise<ArtifactOpen> {
  if (!isAbsolute(ref.path)) return { ok: false, status: 403, reason: 'recorded without an absolute path' };
  let real: string;
  try {
    real = await realpath(ref.path);
  } catch {
    return { ok: false, status: 410, reason: 'the file is gone' };
  }
  const realRoots: string[] = [];
  for (const root of roots) {
    try {
      realRoots.push(await realpath(root));
    } catch {
      // A root that does not exist holds nothing.
    }
  }
  if (!realRoots.some((root) => isBelow(root, real)))
    return { ok: false, status: 403, reason: 'not inside the swarm’s work folders' };
  let fh: FileHandle;
  try {
    fh = await open(real, READ_FLAGS);
  } catch {
    return { ok: false, status: 410, reason: 'the file could not be opened' };
  }
  try {
    const [st, named] = await Promise.all([fh.stat(), stat(real)]);
    if (!st.isFile()) return { ok: false, status: 403, reason: 'not a regular file' };
    // The descriptor must be the file the checked path names (not one swapped in between).
    if (st.ino !== named.ino || st.dev !== named.dev)
      return { ok: false, status: 410, reason: 'the file changed while it was opened' };
    if (st.size > MAX_ARTIFACT_BYTES)
      return { ok: false, status: 413, reason: `larger than ${MAX_ARTIFACT_BYTES / 1024 / 1024} MiB` };
    const content = await readOpenFile(fh, st.size);
    if (content.length !== st.size)
      return { ok: false, status: 410, reason: 'the file changed while it was read' };
    if (ref.sha256 !== null) {
      const sha = createHash('sha256').update(content).digest('hex');
      if (sha !== ref.sha256) return { ok: false, status: 410, reason: 'changed since it was recorded' };
    }
    return { ok: true, name: ref.name, content };
  } catch {
    return { ok: false, status: 410, reason: 'the file could not be read' };
  } finally {
    await fh.close();
  }
}

/** A Content-Disposition header that downloads the file under a safe version of its name. */
export function attachmentDisposition(name: string): string {
  const ascii = name.replace(/[^A-Za-z0-9._-]/g, '_').slice(-100) || 'artifact';
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name.slice(-200))}`;
}
