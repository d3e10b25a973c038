import { readOpenFile } from '../core/read-open-file.ts';
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import type { OutboxPayload } from '../ledger/outbox-payload.ts';

/** An artifact ready to upload, or why it is not attached (in words for the channel). */
export type ArtifactRead = { ok: true; fileName: string; content: Buffer } | { ok: false; reason: string };

const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;

/**
 * Reads the swarm's copy of an artifact for upload, and only if it is still exactly what the agent
 * recorded: a regular file (a final symbolic link is not followed) of the recorded size and SHA-256,
 * within the platform's attachment limit. A row without a checksum is never read.
 */
export async function readArtifact(payload: OutboxPayload, maxBytes: number): Promise<ArtifactRead> {
  const path = payload.attachmentPath;
  if (!path) return { ok: false, reason: 'no file recorded' };
  if (!payload.attachmentSha256) return { ok: false, reason: 'recorded without a checksum' };
  let fh: FileHandle;
  try {
    fh = await open(path, READ_FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ENOENT') return { ok: false, reason: 'the copy is gone' };
    if (code === 'ELOOP') return { ok: false, reason: 'the copy was replaced by a symbolic link' };
    return { ok: false, reason: `could not be read (${code})` };
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return { ok: false, reason: 'not a regular file' };
    if (st.size > maxBytes)
      return { ok: false, reason: `larger than the platform's attachment limit (${maxBytes} bytes)` };
    if (payload.attachmentBytes !== undefined && st.size !== payload.attachmentBytes)
      return { ok: false, reason: 'changed since it was checked' };
    const content = await readOpenFile(fh, st.size);
    const sha256 = createHash('sha256').update(content).digest('hex');
    if (content.length !== st.size || sha256 !== payload.attachmentSha256)
      return { ok: false, reason: 'changed since it was checked' };
    return { ok: true, fileName: payload.attachmentName ?? basename(path), content };
  } catch (err) {
    return { ok: false, reason: `could not be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
  } finally {
    await fh.close();
  }
}
