/**
 * Splits a CLI's standard output into lines and reads each as one JSON object, the shape every
 * preset's CLI streams (JSON Lines). Bounded: a line longer than {@link MAX_EVENT_LINE_CHARS} is
 * dropped as malformed (its rest too), so a runaway CLI cannot grow memory without end.
 */

/** The longest line kept: a final answer of the 1 MiB result cap, JSON-escaped, fits. */
export const MAX_EVENT_LINE_CHARS = 8 * 1024 * 1024;

/** Yields the complete lines of decoded output; `end` returns the last one without a newline. */
export interface LineSplitter {
  push(chunk: string): { lines: string[]; dropped: number };
  end(): { lines: string[]; dropped: number };
}

export function createLineSplitter(maxChars: number = MAX_EVENT_LINE_CHARS): LineSplitter {
  let pending = '';
  let skipping = false;
  return {
    push(chunk) {
      const lines: string[] = [];
      let dropped = 0;
      const data = pending + chunk;
      let start = 0;
      for (let nl = data.indexOf('\n'); nl !== -1; nl = data.indexOf('\n', start)) {
        const line = data.slice(start, nl);
        start = nl + 1;
        if (skipping) skipping = false;
        else lines.push(line.endsWith('\r') ? line.slice(0, -1) : line);
      }
      pending = data.slice(start);
      if (pending.length > maxChars) {
        if (!skipping) dropped++;
        skipping = true;
        pending = '';
      }
      return { lines, dropped };
    },
    end() {
      const last = skipping ? '' : pending;
      pending = '';
      skipping = false;
      return { lines: last.trim() ? [last] : [], dropped: 0 };
    },
  };
}

/** One line as a JSON object, or undefined (blank, not JSON, or not an object). */
export function parseEventLine(line: string): Record<string, unknown> | undefined {
  const text = line.trim();
  if (!text.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A short, one-line form of a text for progress (`first line…`). */
export function oneLine(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
