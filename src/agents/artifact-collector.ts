import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readlink, realpath, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { ArtifactRecord } from '../ledger/attempt-ops.ts';
import { isInside } from './attempt-folder.ts';
import type { AttemptLimits } from './attempt-limits.ts';

/** An artifact the worker named that is not attached, and why, in words for the channel. */
export interface ArtifactRefusal {
  path: string;
  reason: string;
}

/** What {@link collectArtifacts} needs besides the paths. */
export interface CollectOptions {
  /** The attempt's working folder: every artifact must be a regular file inside it. */
  workDir: string;
  /** Creates (once) and returns the swarm-owned folder the copies go to, outside `workDir`. */
  destDir: () => string;
  limits: Pick<AttemptLimits, 'maxArtifactBytes' | 'maxArtifactTotalBytes'>;
  /** Values that must never leave in a file (the tokens of this process); a file holding one is refused. */
  secrets?: readonly string[];
}

const CHUNK_BYTES = 64 * 1024;
// O_NONBLOCK: opening a FIFO must not hang the agent; it is refused after fstat anyway.
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;
const WRITE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

class Refused extends Error {}

const mib = (bytes: number): string => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`;

/** A file name safe in any folder and in an upload: the basename with odd characters replaced. */
function safeName(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return (clean || 'artifact').slice(-100);
}

/**
 * Checks each requested artifact and copies the accepted ones out of the attempt folder, so that what
 * is posted later is exactly what was checked: a regular file whose folder resolves (symbolic links
 * followed) inside `workDir`, opened without following a final link, checked on the open descriptor
 * (type, single name, size, real location), copied from that descriptor with its SHA-256. Everything
 * else is refused with a reason; nothing here throws for a bad artifact.
 */
export async function collectArtifacts(
  requested: readonly string[],
  options: CollectOptions,
): Promise<{ records: ArtifactRecord[]; refused: ArtifactRefusal[] }> {
  const records: ArtifactRecord[] = [];
  const refused: ArtifactRefusal[] = [];
  const realWork = await realpath(options.workDir);
  const taken = new Set<string>();
  let total = 0;
  for (const path of requested) {
    try {
      const record = await collectOne(path, realWork, options, total, taken);
      total += record.bytes;
      records.push(record);
    } catch (err) {
      const reason = err instanceof Refused ? err.message : `could not be read (${errorCode(err)})`;
      refused.push({ path, reason });
    }
  }
  return { records, refused };
}

function errorCode(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : 'error';
}

async function collectOne(
  path: string,
  realWork: string,
  options: CollectOptions,
  totalSoFar: number,
  taken: Set<string>,
): Promise<ArtifactRecord> {
  if (path.includes('\0')) throw new Refused('not a valid path');
  const root = resolve(options.workDir);
  const candidate = resolve(root, path);
  const name = basename(candidate);
  if (!isInside(root, candidate)) throw new Refused('outside the attempt folder');
  if (candidate === root) throw new Refused('not a regular file');
  let dir: string;
  try {
    dir = await realpath(dirname(candidate));
  } catch (err) {
    throw new Refused(errorCode(err) === 'ENOENT' ? 'missing' : `folder not readable (${errorCode(err)})`);
  }
  if (!isInside(realWork, dir)) throw new Refused('outside the attempt folder (through a symbolic link)');

  let source: FileHandle;
  try {
    source = await open(join(dir, name), READ_FLAGS);
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ELOOP') throw new Refused('a symbolic link');
    if (code === 'ENOENT') throw new Refused('missing');
    throw new Refused(`could not be opened (${code})`);
  }
  try {
    // A folder swapped for a link between the check and the open is caught here (Linux).
    const real = await readlink(`/proc/self/fd/${source.fd}`).catch(() => undefined);
    if (real !== undefined && !isInside(realWork, real)) throw new Refused('outside the attempt folder');
    const st = await source.stat();
    if (!st.isFile()) throw new Refused('not a regular file');
    if (st.nlink > 1) throw new Refused('a hard link (the file has another name, maybe outside the folder)');
    const { maxArtifactBytes, maxArtifactTotalBytes } = options.limits;
    if (st.size > maxArtifactBytes) throw new Refused(`larger than ${mib(maxArtifactBytes)}`);
    if (totalSoFar + st.size > maxArtifactTotalBytes)
      throw new Refused(`over the ${mib(maxArtifactTotalBytes)} total for one attempt`);
    return await copyOut(source, name, options, maxArtifactBytes, taken);
  } finally {
    await source.close();
  }
}

/** Copies from the open descriptor into the swarm's folder (0600), hashing as it goes. */
async function copyOut(
  source: FileHandle,
  name: string,
  options: CollectOptions,
  maxBytes: number,
  taken: Set<string>,
): Promise<ArtifactRecord> {
  const base = safeName(name);
  const destDir = options.destDir();
  let fileName = base;
  let destPath = '';
  let dest: FileHandle | undefined;
  // A name already taken in this attempt, or a file left in the folder by an earlier ledger that
  // used the same work folder (its records still point at it): never overwritten, the next name is used.
  for (let i = 2; dest === undefined; i++) {
    if (taken.has(fileName)) {
      fileName = `${i}-${base}`;
      continue;
    }
    taken.add(fileName);
    destPath = join(destDir, fileName);
    try {
      dest = await open(destPath, WRITE_FLAGS, 0o600);
    } catch (err) {
      if (errorCode(err) !== 'EEXIST' || i > 100) throw err;
      fileName = `${i}-${base}`;
    }
  }
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let bytes = 0;
  let ok = false;
  try {
    const buf = Buffer.alloc(CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await source.read(buf, 0, buf.length, bytes);
      if (bytesRead === 0) break;
      bytes += bytesRead;
      // The file may grow after the size check; what is copied is capped all the same.
      if (bytes > maxBytes) throw new Refused(`larger than ${mib(maxBytes)}`);
      const chunk = Buffer.from(buf.subarray(0, bytesRead));
      hash.update(chunk);
      if (options.secrets?.length) chunks.push(chunk);
      await dest.write(chunk);
    }
    if (options.secrets?.length) {
      const all = Buffer.concat(chunks);
      if (options.secrets.some((s) => s.length >= 8 && all.includes(s)))
        throw new Refused('contains a secret of this swarm');
    }
    ok = true;
  } finally {
    await dest.close();
    if (!ok) await unlink(destPath).catch(() => undefined);
  }
  return { name: fileName, path: destPath, bytes, sha256: hash.digest('hex') };
}
