/**
 * Reads a stream to its end, or until it has given more than `maxBytes` (then stops reading), so an
 * endless pipe cannot fill the memory. A result longer than `maxBytes` means the input was over.
 */
export async function readAtMost(stream: AsyncIterable<Buffer | string>, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    chunks.push(bytes);
    total += bytes.length;
    // Leaving the loop closes the stream: nothing past the limit is read.
    if (total > maxBytes) break;
  }
  return Buffer.concat(chunks);
}
