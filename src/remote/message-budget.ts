/**
 * A per-sender sliding window of message counts: the loop guard that caps how many protocol
 * messages one agent's bot may make the other side act on per minute (and the agent's own cap on
 * what it sends). Counting edits too, since platforms count them against the same budget.
 */
export class MessageBudget {
  private readonly sent = new Map<string, number[]>();

  constructor(
    /** Messages allowed per window. */
    readonly perWindow: number,
    readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  /** Messages left for `key` in the current window. */
  left(key: string): number {
    return this.perWindow - this.recent(key).length;
  }

  /** Counts one message when the budget allows it; false (nothing counted) when it is spent. */
  take(key: string): boolean {
    const recent = this.recent(key);
    if (recent.length >= this.perWindow) return false;
    recent.push(this.now());
    return true;
  }

  /** Milliseconds until `key` may send again (0 when it may now). */
  waitMs(key: string): number {
    const recent = this.recent(key);
    if (recent.length < this.perWindow) return 0;
    return Math.max(0, recent[0]! + this.windowMs - this.now());
  }

  private recent(key: string): number[] {
    const since = this.now() - this.windowMs;
    const list = (this.sent.get(key) ?? []).filter((t) => t > since);
    this.sent.set(key, list);
    return list;
  }
}
