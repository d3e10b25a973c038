/**
 * Caps how many replies one person can draw from the swarm, so a flood of commands from someone who
 * is not an admin (each one refused, invalid, or a /status board) cannot spend the channel's posting
 * budget. Every message is still recorded; only the replies stop.
 */

/** Tunables of a `ReplyLimiter`. */
export interface ReplyLimits {
  /** Replies to one person per window; the last of them carries `REPLY_LIMIT_NOTE`. */
  maxReplies: number;
  windowMs: number;
  /** People remembered at once; beyond it, those whose window has ended are forgotten first. */
  maxTrackedAuthors: number;
}

export const REPLY_LIMIT_DEFAULTS = {
  maxReplies: 5,
  windowMs: 60_000,
  maxTrackedAuthors: 10_000,
} as const satisfies ReplyLimits;

/** 'reply': post it; 'last': post it with the note that further messages are ignored; 'silent': post nothing. */
export type ReplyVerdict = 'reply' | 'last' | 'silent';

/** Appended to the last reply a person gets in a window. */
export const REPLY_LIMIT_NOTE =
  '🔇 That was a lot of messages: further messages from you are ignored for a while (no replies).';

interface AuthorWindow {
  startMs: number;
  replies: number;
}

/** Fixed windows per author, in memory: a restart forgets them, which only ever allows more replies. */
export class ReplyLimiter {
  private readonly limits: ReplyLimits;
  private readonly windows = new Map<string, AuthorWindow>();

  constructor(
    limits: Partial<ReplyLimits> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.limits = { ...REPLY_LIMIT_DEFAULTS, ...limits };
    if (!(this.limits.maxReplies >= 1)) throw new RangeError('maxReplies must be at least 1');
  }

  /** Counts one reply to `author` (a platform-qualified id) and says whether to post it. */
  take(author: string): ReplyVerdict {
    const now = this.now();
    let window = this.windows.get(author);
    if (window === undefined || now - window.startMs >= this.limits.windowMs) {
      window = { startMs: now, replies: 0 };
      this.windows.delete(author);
      this.windows.set(author, window);
      this.forgetOld(now);
    }
    window.replies++;
    if (window.replies < this.limits.maxReplies) return 'reply';
    return window.replies === this.limits.maxReplies ? 'last' : 'silent';
  }

  /** How many people are remembered (for tests and diagnostics). */
  get size(): number {
    return this.windows.size;
  }

  private forgetOld(now: number): void {
    if (this.windows.size <= this.limits.maxTrackedAuthors) return;
    for (const [author, window] of this.windows) {
      if (now - window.startMs >= this.limits.windowMs) this.windows.delete(author);
    }
    // Still too many live windows (a crowd, or many accounts): forget the oldest, which only lets
    // them be answered again sooner.
    for (const author of this.windows.keys()) {
      if (this.windows.size <= this.limits.maxTrackedAuthors) break;
      this.windows.delete(author);
    }
  }
}
