import type { LedgerWatcher } from '../agents/ledger-watcher.ts';
import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { EventRow } from '../ledger/audit.ts';
import { eventOfRow } from '../ledger/event-ops.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { BoardQueries, TaskSummary } from './board-queries.ts';
import { mirrorHealth, type MirrorHealth } from './mirror-health.ts';
import { toEventView } from './task-detail.ts';
import type { PosterOptions } from '../orchestrator/poster-options.ts';
import type { WaitingReason } from './waiting-reason.ts';

/** One connected page: where its text goes, and how to let it go. */
export interface StreamClient {
  /** Writes SSE text; returns false when the client's buffer is full (it is then dropped). */
  write(text: string): boolean;
  close(): void;
}

export interface BoardStreamOptions {
  /** How often agents, the mirror and waiting reasons are refreshed (they change without events). */
  pulseMs: number;
  /** A page further behind than this many events reloads instead of replaying them. */
  maxReplay: number;
  /** Events read per query while catching up. */
  batch: number;
  platform: string;
  pacing: Partial<PosterOptions> | undefined;
  log: Logger;
}

export const BOARD_STREAM_DEFAULTS = { pulseMs: 2_000, maxReplay: 5_000, batch: 500 } as const;

/** Longest text of one event field in the stream; the task page loads the rest. */
const STREAM_TEXT_CHARS = 500;

/** The swarm-wide state every page keeps beside the cards. */
export interface PulseData {
  now: number;
  paused: boolean;
  agents: ReturnType<BoardQueries['agents']>;
  mirror: MirrorHealth;
  /** Waiting reasons that changed since the last pulse (null: no longer waiting). */
  waiting: Record<string, WaitingReason | null>;
}

/** One server-sent event; `id` only for ledger events, so the browser's Last-Event-ID is always a seq. */
function sse(event: string, data: unknown, id?: number): string {
  return `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * The board's live feed: server-sent events keyed by the ledger's event number. It notices new
 * events (from this process or any other) through the ledger watcher, reads them once and sends the
 * same text to every page, each event with the current card of its task. A page that reconnects
 * with Last-Event-ID first gets what it missed, so nothing is lost or shown twice.
 */
export class BoardStream {
  private readonly clients = new Set<StreamClient>();
  private lastSeq = 0;
  private unsubscribe: (() => void) | undefined;
  private pulseTimer: NodeJS.Timeout | undefined;
  private lastWaiting = new Map<string, string>();
  private readonly options: BoardStreamOptions;

  constructor(
    private readonly ledger: Ledger,
    private readonly queries: BoardQueries,
    private readonly watcher: LedgerWatcher,
    options: Partial<BoardStreamOptions> & Pick<BoardStreamOptions, 'platform' | 'log'>,
  ) {
    this.options = { ...BOARD_STREAM_DEFAULTS, pacing: undefined, ...options };
  }

  /** Number of connected pages. */
  get size(): number {
    return this.clients.size;
  }

  /** The newest event sent to pages. */
  get seq(): number {
    return this.lastSeq;
  }

  start(): void {
    this.lastSeq = this.ledger.lastEventSeq();
    this.unsubscribe = this.watcher.subscribe(() => this.poll());
    this.pulseTimer = setInterval(() => {
      if (this.clients.size) this.pulse();
    }, this.options.pulseMs);
    this.pulseTimer.unref();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.pulseTimer) clearInterval(this.pulseTimer);
    for (const c of this.clients) c.close();
    this.clients.clear();
  }

  /**
   * Adds a page that has seen every event up to `afterSeq`: it first gets the events after that,
   * then the live feed. A page too far behind (or ahead: another ledger) is told to reload.
   */
  connect(client: StreamClient, afterSeq: number): () => void {
    this.poll();
    let ok = client.write(`retry: 1000\n${sse('hello', { seq: this.lastSeq })}`);
    if (afterSeq > this.lastSeq || this.lastSeq - afterSeq > this.options.maxReplay) {
      ok = client.write(sse('reset', { seq: this.lastSeq }));
    } else {
      // Synchronous from here to `add`: no event can slip between the replay and the live feed.
      for (let from = afterSeq; ok && from < this.lastSeq;) {
        const rows = this.readAfter(from, this.lastSeq);
        if (!rows.length) break;
        ok = client.write(this.render(rows));
        from = rows[rows.length - 1]!.seq;
      }
    }
    if (!ok) {
      client.close();
      return () => undefined;
    }
    this.clients.add(client);
    client.write(sse('pulse', this.pulseData(true)));
    return () => this.clients.delete(client);
  }

  /** Reads and sends events newer than the last sent; called on every ledger change. */
  poll(): void {
    try {
      for (;;) {
        const rows = this.readAfter(this.lastSeq);
        if (!rows.length) return;
        this.lastSeq = rows[rows.length - 1]!.seq;
        if (this.clients.size) this.broadcast(this.render(rows));
        // Claims, results and pauses change what agents hold; progress does not.
        const touchesAgents = rows.some(
          (r) => r.type !== 'task_progress' && (r.agent_id !== null || r.type.startsWith('swarm_')),
        );
        if (touchesAgents && this.clients.size) {
          const agents = this.queries.agents();
          this.broadcast(sse('agents', { agents, paused: this.ledger.isSwarmPaused() }));
        }
      }
    } catch (err) {
      // A busy or closed ledger: the next change or pulse tries again.
      this.options.log.warn('board: could not read new events', { error: describeError(err) });
    }
  }

  private readAfter(afterSeq: number, upTo = Number.MAX_SAFE_INTEGER): EventRow[] {
    return this.ledger.core
      .sql('SELECT * FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?')
      .all(afterSeq, upTo, this.options.batch) as EventRow[];
  }

  /** The SSE text of some events, each task's current card on its last event in the batch. */
  private render(rows: EventRow[]): string {
    const lastOfTask = new Map<string, number>();
    for (const r of rows) if (r.task_id !== null) lastOfTask.set(r.task_id, r.seq);
    const cards = new Map<string, TaskSummary>();
    for (const card of this.queries.summaries([...lastOfTask.keys()])) cards.set(card.id, card);
    let out = '';
    for (const r of rows) {
      const event = toEventView(eventOfRow(r, true), STREAM_TEXT_CHARS);
      const task =
        r.task_id !== null && lastOfTask.get(r.task_id) === r.seq ? cards.get(r.task_id) : undefined;
      out += sse('change', task ? { event, task } : { event }, r.seq);
    }
    return out;
  }

  private broadcast(text: string): void {
    for (const c of this.clients) {
      if (!c.write(text)) {
        // A page that cannot keep up reconnects and catches up from its Last-Event-ID.
        this.clients.delete(c);
        c.close();
      }
    }
  }

  /** Agents, mirror and the waiting reasons that changed (all of them when `full`). */
  pulseData(full: boolean): PulseData {
    const agents = this.queries.agents();
    const ctx = this.queries.waitingContext(agents);
    const waiting: Record<string, WaitingReason | null> = {};
    const now = this.queries.queuedWaiting(ctx);
    const next = new Map<string, string>();
    for (const [id, reason] of now) {
      const key = JSON.stringify(reason);
      next.set(id, key);
      if (full || this.lastWaiting.get(id) !== key) waiting[id] = reason;
    }
    if (!full) for (const id of this.lastWaiting.keys()) if (!now.has(id)) waiting[id] = null;
    if (!full || this.lastWaiting.size === 0) this.lastWaiting = next;
    return {
      now: ctx.now,
      paused: ctx.swarmPaused,
      agents,
      mirror: mirrorHealth(this.ledger, this.options.platform, this.options.pacing),
      waiting,
    };
  }

  private pulse(): void {
    try {
      this.poll();
      this.broadcast(`: keep-alive\n\n${sse('pulse', this.pulseData(false))}`);
    } catch (err) {
      this.options.log.warn('board: could not refresh', { error: describeError(err) });
    }
  }
}
