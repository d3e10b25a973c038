import type { FileHandle } from 'node:fs/promises';

/**
 * Reads up to `size` bytes from the start of an open file. Returns what was read, which is shorter
 * than `size` when the file shrank meanwhile; callers compare the length with what they expected.
 */
export async function readOpenFile(fh: FileHandle, size: number): Promise<Buffer> {
  const content = Buffer.alloc(size);
  let read = 0;
  while (read < size) {
    const { bytesRead } = await fh.read(content, read, size - read, read);
    if (bytesRead === 0) break;
    read += bytesRead;
  }
  return content.subarray(0, read);
}
