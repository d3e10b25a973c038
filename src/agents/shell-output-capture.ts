/** Collects a worker's result output within a byte budget, keeping its beginning and its end. */
export interface OutputCapture {
  append(text: string): void;
  /** The captured text; when something was dropped, a marker line in the middle says how much. */
  text(): string;
  /** UTF-8 bytes left out between the head and the tail so far. */
  readonly droppedBytes: number;
}

/**
 * Creates a capture that keeps at most `maxBytes` of UTF-8: the first half and the last half. Cuts
 * fall on character boundaries, so the kept text never starts or ends with a broken character.
 */
export function createOutputCapture(maxBytes: number): OutputCapture {
  const headLimit = Math.max(0, Math.floor(maxBytes / 2));
  const tailLimit = Math.max(0, Math.floor(maxBytes) - headLimit);
  const head: Buffer[] = [];
  let headBytes = 0;
  let headFull = false;
  let tail: Buffer[] = [];
  let tailBytes = 0;
  let dropped = 0;

  const trimTail = (): void => {
    let excess = tailBytes - tailLimit;
    while (excess > 0) {
      const first = tail[0]!;
      if (first.length <= excess) {
        tail.shift();
        excess -= first.length;
        dropped += first.length;
        tailBytes -= first.length;
      } else {
        tail[0] = first.subarray(excess);
        dropped += excess;
        tailBytes -= excess;
        excess = 0;
      }
    }
  };

  return {
    append(text) {
      let bytes = Buffer.from(text, 'utf8');
      if (!headFull) {
        const room = headLimit - headBytes;
        if (bytes.length <= room) {
          head.push(bytes);
          headBytes += bytes.length;
          return;
        }
        const cut = charBoundaryAtOrBefore(bytes, room);
        head.push(bytes.subarray(0, cut));
        headBytes += cut;
        headFull = true;
        bytes = bytes.subarray(cut);
      }
      tail.push(bytes);
      tailBytes += bytes.length;
      trimTail();
    },
    text() {
      if (dropped === 0) return Buffer.concat([...head, ...tail]).toString('utf8');
      const tailBuf = Buffer.concat(tail);
      const start = charBoundaryAtOrAfter(tailBuf, 0);
      tail = [tailBuf.subarray(start)];
      tailBytes -= start;
      dropped += start;
      const marker = `\n[… ${dropped} bytes of output dropped …]\n`;
      return Buffer.concat(head).toString('utf8') + marker + tail[0]!.toString('utf8');
    },
    get droppedBytes() {
      return dropped;
    },
  };
}

const isContinuationByte = (b: number | undefined): boolean => b !== undefined && (b & 0xc0) === 0x80;

/** Largest index <= `at` where a UTF-8 character starts (or the end of the buffer). */
function charBoundaryAtOrBefore(buf: Buffer, at: number): number {
  let i = Math.min(Math.max(at, 0), buf.length);
  while (i > 0 && isContinuationByte(buf[i])) i--;
  return i;
}

/** Smallest index >= `at` where a UTF-8 character starts (or the end of the buffer). */
function charBoundaryAtOrAfter(buf: Buffer, at: number): number {
  let i = Math.max(at, 0);
  while (i < buf.length && isContinuationByte(buf[i])) i++;
  return i;
}

/** The last `maxLines` lines of `text`, cut further to its last `maxChars` characters, trimmed. */
export function tailOfText(text: string, maxLines: number, maxChars: number): string {
  const lines = text.trimEnd().split(/\r?\n/);
  const kept = lines.slice(-maxLines).join('\n');
  if (kept.length <= maxChars) return kept;
  return '…' + kept.slice(kept.length - maxChars + 1);
}
