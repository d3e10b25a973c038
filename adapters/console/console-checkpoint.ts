/**
 * The console's checkpoint board: the console cannot pin, so the checkpoint goes to a file outside
 * the ledger (by default `.swarm-work/checkpoint.txt`), written whole and renamed into place so a
 * reader never sees half of it. It anchors the ledger only as far as that file is out of a forger's
 * reach: copy it elsewhere, or pass its line to `chat-swarm audit --checkpoint`.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CheckpointBoard } from '../../src/chat/chat-port.ts';
import { ChatError } from '../../src/core/errors.ts';

/** The message id the console reports for its checkpoint (there is only ever one). */
const FILE_MESSAGE_ID = 'checkpoint-file';

function fileError(action: string, file: string, err: unknown): ChatError {
  const code = (err as NodeJS.ErrnoException).code;
  const transient = code === 'EMFILE' || code === 'ENFILE' || code === 'EBUSY' || code === 'EAGAIN';
  return new ChatError(`cannot ${action} the checkpoint file ${file}: ${code ?? String(err)}`, {
    permanent: !transient,
    cause: err,
  });
}

/** A checkpoint board kept in `file`; only the swarm's user may read or write it (0600, folder 0700). */
export function createConsoleCheckpoint(file: string): CheckpointBoard {
  return {
    async publish(text) {
      const temp = `${file}.${process.pid}.tmp`;
      try {
        await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
        await writeFile(temp, `${text}\n`, { mode: 0o600 });
        await rename(temp, file);
      } catch (err) {
        throw fileError('write', file, err);
      }
      return { messageId: FILE_MESSAGE_ID };
    },
    async read() {
      try {
        return [await readFile(file, 'utf8')];
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw fileError('read', file, err);
      }
    },
  };
}
