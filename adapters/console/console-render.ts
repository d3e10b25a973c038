/**
 * Pure mapping from console channel messages to the lines printed in the terminal.
 *
 * Printed grammar (one message = one header line, then zero or more continuation lines):
 *   [12:03:04] #7 designer-001 ▸ T-3 claimed          header with a heading; text follows below
 *   [12:03:04] #8 swarm: all quiet                     header without heading; first text line inline
 *   [12:03:05] #9 ↳#7 T-3 designer-001: detail         posted under task T-3's main message #7
 *   [12:03:06] #7 ✎ swarm ▸ T-3 done │ by coder-001     message #7 edited: new heading │ new first line (the
 *                                                     lines below it did not change, so they are not repeated)
 *   [12:03:06] #7 ✎ swarm ▸ T-3 done                   message #7 edited, with all its text below when more changed
 *   [12:03:07] #10 ↩#9 <alice> blue                     a person's line, replying to #9
 *              T-3 │ a text line                         continuation: task id (under a task), then "│ "
 *              T-3 📎 output.txt → ./.swarm-work/…      an attachment written to disk
 */

/** One message as the console shows it. */
export interface ConsoleMessageView {
  messageId: string;
  /** Formatted clock time, e.g. from `formatClockTime`. */
  time: string;
  kind: 'sent' | 'edit' | 'human';
  /** Speaker (agent), the swarm's own name, or the person's name. */
  who: string;
  heading?: string;
  text: string;
  under?: { messageId: string; taskId: string };
  replyToMessageId?: string;
  attachments?: { fileName: string; path: string }[];
  /** An edit shown as one line: the heading, then ` │ ` and the text's first line (the rest is unchanged). */
  compact?: boolean;
}

export interface ConsoleStyle {
  /** Wrap names, times and headings in ANSI colour codes. */
  color: boolean;
}

const ANSI = {
  reset: '\x1b[0m',
  bold: '\x1b[1m',
  dim: '\x1b[2m',
  cyan: '\x1b[36m',
  yellow: '\x1b[33m',
} as const;

// C0 controls except tab and newline, DEL, C1 controls (0x9b is a one-byte CSI on some terminals),
// and bidi overrides that would reorder what the reader sees.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Makes untrusted text safe to print: C0 controls become their visible Unicode "control picture"
 * (ESC shows as ␛), DEL shows as ␡, C1 controls and bidi overrides as �. Tab and newline are kept.
 */
export function sanitizeTerminalText(text: string): string {
  return text.replace(CONTROL, (ch) => {
    const code = ch.charCodeAt(0);
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    if (code === 0x7f) return '\u2421';
    return '\ufffd';
  });
}

/** Sanitised single token (no whitespace, colon or angle bracket), so the printed grammar stays unambiguous. */
export function toConsoleToken(text: string): string {
  const token = sanitizeTerminalText(text)
    .replace(/[\s:]+/g, '_')
    .replace(/[<>]/g, '');
  return token.length > 0 ? token : '_';
}

/** `HH:MM:SS` in local time (or UTC), for the start of each header line. */
export function formatClockTime(ms: number, utc = false): string {
  const d = new Date(ms);
  const parts = utc
    ? [d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()]
    : [d.getHours(), d.getMinutes(), d.getSeconds()];
  return parts.map((n) => String(n).padStart(2, '0')).join(':');
}

/** Renders one message to the exact text written to the terminal, ending with a newline. */
export function renderConsoleMessage(view: ConsoleMessageView, style: ConsoleStyle): string {
  const paint = (code: string, s: string): string => (style.color ? `${code}${s}${ANSI.reset}` : s);
  const time = `[${view.time}]`;
  const taskId = view.under ? toConsoleToken(view.under.taskId) : undefined;

  let header = `${paint(ANSI.dim, time)} #${view.messageId}`;
  if (view.kind === 'edit') header += ` ${paint(ANSI.yellow, '✎')}`;
  if (view.under) header += ` ↳#${view.under.messageId} ${taskId}`;
  if (view.replyToMessageId !== undefined) header += ` ↩#${view.replyToMessageId}`;

  const lines = sanitizeTerminalText(view.text).split('\n');
  let below: string[];
  if (view.kind === 'human') {
    const name = sanitizeTerminalText(view.who).replace(/[<>\n]/g, '');
    header += ` ${paint(ANSI.cyan, `<${name}>`)} ${lines[0] ?? ''}`;
    below = lines.slice(1);
  } else if (view.heading !== undefined) {
    const heading = sanitizeTerminalText(view.heading).replace(/\n/g, ' ');
    header += ` ${paint(ANSI.cyan, toConsoleToken(view.who))} ▸ ${paint(ANSI.bold, heading)}`;
    below = lines;
    if (view.compact === true && view.kind === 'edit') {
      header += ` │ ${lines[0] ?? ''}`;
      below = [];
    }
  } else {
    header += ` ${paint(ANSI.cyan, toConsoleToken(view.who))}: ${lines[0] ?? ''}`;
    below = lines.slice(1);
  }

  const indent = ' '.repeat(time.length + 1) + (taskId === undefined ? '' : `${taskId} `);
  const out = [header, ...below.map((line) => `${indent}│ ${line}`)];
  for (const file of view.attachments ?? []) {
    out.push(`${indent}📎 ${sanitizeTerminalText(file.fileName)} → ${sanitizeTerminalText(file.path)}`);
  }
  return out.join('\n') + '\n';
}
