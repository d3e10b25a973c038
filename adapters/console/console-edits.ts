/**
 * How the console shows an edit of a message it printed earlier. A terminal cannot edit a line
 * that scrolled away, so each edit prints again, kept short: a state change (the heading changes)
 * is one line with the new status; an update within a state (a task's progress) is the same one
 * line, rewritten in place on a TTY when it is still the last line, and at most one per message
 * per `progressIntervalMs` otherwise (the newest waits for the interval, nothing is lost for good).
 */
import type { Clock } from '../../src/core/types.ts';
import type { ConsoleMessageView } from './console-render.ts';

/** What the console remembers of a message it printed: enough to print an edit of it. */
export interface PrintedMessage {
  who: string;
  heading?: string;
  text: string;
  under?: { messageId: string; taskId: string };
}

type EditView = Omit<ConsoleMessageView, 'time'>;

export interface ConsoleEditsOptions {
  /** Output is a terminal: updates within a state rewrite their own line in place. */
  tty: boolean;
  /** Without a terminal, the least time between two printed updates of one message within a state. */
  progressIntervalMs: number;
  clock: Clock;
  /** Speaker shown for a message from an earlier run. */
  botName: string;
  /** The message as last printed, or undefined for one from an earlier run. */
  printed(messageId: string): PrintedMessage | undefined;
  /** Records what was printed for a message. */
  remember(messageId: string, message: PrintedMessage): void;
  /** Writes a rendered view; `overwriteLast` replaces the line printed last. */
  print(view: EditView, overwriteLast: boolean): void;
}

/** The console's edit logic; `noteOtherOutput` must be called whenever anything else is printed. */
export interface ConsoleEdits {
  edit(messageId: string, next: Pick<PrintedMessage, 'heading' | 'text'>): void;
  noteOtherOutput(): void;
  /** Drops waiting updates and their timers (at stop). */
  stop(): void;
}

/** Creates the edit printer; see the file comment for what it prints when. */
export function createConsoleEdits(o: ConsoleEditsOptions): ConsoleEdits {
  // The message whose one-line update is the last thing printed (so it can be rewritten in place).
  let lastLineOf: string | undefined;
  const lastPrintAt = new Map<string, number>();
  const waiting = new Map<
    string,
    { next: Pick<PrintedMessage, 'heading' | 'text'>; timer: NodeJS.Timeout }
  >();

  const show = (messageId: string, next: Pick<PrintedMessage, 'heading' | 'text'>): void => {
    const known = o.printed(messageId);
    const message: PrintedMessage = {
      who: known?.who ?? o.botName,
      text: next.text,
      ...(next.heading !== undefined && { heading: next.heading }),
      ...(known?.under && { under: known.under }),
    };
    // One line when only the first line of the text changed (a status line); the whole message when
    // anything below it changed, or when this console never printed it.
    const compact = known !== undefined && next.heading !== undefined && sameRest(known.text, next.text);
    const sameState = known !== undefined && known.heading === next.heading;
    const overwrite = o.tty && compact && sameState && lastLineOf === messageId;
    o.remember(messageId, message);
    o.print({ ...message, messageId, kind: 'edit', ...(compact && { compact: true }) }, overwrite);
    lastLineOf = compact ? messageId : undefined;
    lastPrintAt.set(messageId, o.clock.now());
    if (lastPrintAt.size > 10_000) lastPrintAt.delete(lastPrintAt.keys().next().value!);
  };

  return {
    edit(messageId, next) {
      const pending = waiting.get(messageId);
      const known = o.printed(messageId);
      const latest = pending?.next ?? known;
      if (latest && latest.heading === next.heading && latest.text === next.text) return;
      // Only an update of the first line within the same state (progress) waits; anything else is news.
      const update = known !== undefined && known.heading === next.heading && sameRest(known.text, next.text);
      if (!update || o.tty) {
        if (pending) clearTimeout(pending.timer);
        waiting.delete(messageId);
        show(messageId, next);
        return;
      }
      const since = o.clock.now() - (lastPrintAt.get(messageId) ?? -Infinity);
      if (since >= o.progressIntervalMs && pending === undefined) {
        show(messageId, next);
        return;
      }
      if (pending) {
        pending.next = next;
        return;
      }
      const timer = setTimeout(
        () => {
          const due = waiting.get(messageId);
          waiting.delete(messageId);
          if (due) show(messageId, due.next);
        },
        Math.max(0, o.progressIntervalMs - since),
      );
      timer.unref();
      waiting.set(messageId, { next, timer });
    },
    noteOtherOutput() {
      lastLineOf = undefined;
    },
    stop() {
      for (const { timer } of waiting.values()) clearTimeout(timer);
      waiting.clear();
    },
  };
}

function sameRest(before: string, after: string): boolean {
  const a = before.split('\n');
  const b = after.split('\n');
  return a.length === b.length && a.every((line, i) => i === 0 || line === b[i]);
}
