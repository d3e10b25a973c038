import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, realpathSync } from 'node:fs';
import { join, relative, resolve, sep, isAbsolute } from 'node:path';
import { SwarmError } from '../core/errors.ts';

/** A folder the swarm would create for an attempt is not where it must be (outside its root). */
export class AttemptFolderError extends SwarmError {
  override name = 'AttemptFolderError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('attempt_folder', message, options);
  }
}

/** Longest folder name made from a task id; longer ids are cut and get a hash of the whole id. */
const MAX_SEGMENT_CHARS = 120;

/**
 * A task id as one folder name, safe for any id: letters, digits, `_`, `-` and (not first) `.` stay,
 * every other byte becomes `%XX`. So the name is never empty, `.`, `..`, hidden or a path, and two
 * ids never share a folder.
 */
export function toFolderSegment(id: string): string {
  let out = '';
  for (const byte of Buffer.from(id, 'utf8')) {
    const ch = String.fromCharCode(byte);
    const plain = /[A-Za-z0-9_-]/.test(ch) || (ch === '.' && out !== '');
    out += plain ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (out === '') return '%';
  if (out.length <= MAX_SEGMENT_CHARS) return out;
  // `~` is always encoded above, so a cut name never equals a plain one.
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 16);
  return `${out.slice(0, MAX_SEGMENT_CHARS - 17)}~${hash}`;
}

/** True when `path` is `root` itself or below it (both absolute and already resolved). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel));
}

/** Creates a folder (and its parents) private to this user: 0700 whatever the umask. */
function makePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  chmodSync(path, 0o700);
}

/**
 * Creates `<root>/<task>/attempt-<n>` and returns its path, after checking that it is inside `root`
 * both as written and once symbolic links are resolved (a task folder replaced by a link to
 * elsewhere is refused). Throws {@link AttemptFolderError} when it is not.
 */
export function createAttemptFolder(root: string, taskId: string, attempt: number): string {
  const absRoot = resolve(root);
  const taskDir = join(absRoot, toFolderSegment(taskId));
  const dir = join(taskDir, `attempt-${attempt}`);
  if (!isInside(absRoot, dir) || dir === absRoot)
    throw new AttemptFolderError(`the working folder for ${taskId} would be outside ${absRoot}; refused`);
  mkdirSync(absRoot, { recursive: true, mode: 0o700 });
  const realRoot = realpathSync(absRoot);
  for (const part of [taskDir, dir]) {
    let linked = false;
    try {
      linked = lstatSync(part).isSymbolicLink();
    } catch {
      // Not there yet: created below.
    }
    if (linked) throw new AttemptFolderError(`${part} is a symbolic link; refused as a working folder`);
  }
  makePrivateDir(dir);
  const real = realpathSync(dir);
  if (!isInside(realRoot, real) || real === realRoot)
    throw new AttemptFolderError(
      `the working folder ${dir} resolves to ${real}, outside ${realRoot}; refused`,
    );
  return dir;
}
