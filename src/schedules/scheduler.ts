/**
 * The scheduler loop of the orchestrator process: wakes at the next slot (or after `pollMs`, so a
 * clock jump or a schedule added from another process is noticed soon), and fires what is due
 * through the ledger, which makes exactly one task per slot. A failed write is logged and tried
 * again at the next wake; nothing here stops the swarm.
 */
import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { FireState } from '../ledger/schedule-fire-ops.ts';
import type { ScheduleRow } from '../ledger/schedule-ops.ts';
import { toDefinition, type ScheduleDefinition } from './schedule-spec.ts';
import { slotClockOf, type SlotClock } from './slot-clock.ts';
import { planSlots } from './slot-plan.ts';

export interface SchedulerOptions {
  /** Longest sleep between looks at the ledger. */
  pollMs: number;
  /** A slot noticed later than this after its time counts as missed (see `planSlots`). */
  graceMs: number;
  /** Shortest sleep, so a timer that fires a hair early does not spin. */
  minSleepMs: number;
}

export const SCHEDULER_DEFAULTS = {
  pollMs: 1_000,
  graceMs: 60_000,
  minSleepMs: 5,
} as const satisfies SchedulerOptions;

/** What one look at the schedules did. */
export interface TickResult {
  created: string[];
  skipped: number;
  missed: number;
  failed: number;
  /** The earliest next slot of any active schedule, or null when none is coming. */
  nextAt: number | null;
}

interface Compiled {
  definition: ScheduleDefinition;
  clock: SlotClock;
}

/** Fires the ledger's schedules on time; one per orchestrator, any number per ledger is safe. */
export class Scheduler {
  private readonly options: SchedulerOptions;
  /** By definition JSON. */
  private readonly compiled = new Map<string, Compiled | null>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private startedAt: number;

  constructor(
    private readonly ledger: Ledger,
    private readonly log: Logger,
    options: Partial<SchedulerOptions> = {},
    /** Called when a look made tasks or notices, so the poster sends them now. */
    private readonly onChange: () => void = () => undefined,
  ) {
    this.options = { ...SCHEDULER_DEFAULTS, ...options };
    this.startedAt = ledger.core.now();
  }

  /** Starts the loop; slots that passed before now were missed while the swarm was down. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.startedAt = this.ledger.core.now();
    this.loop();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private loop(): void {
    if (!this.running) return;
    const result = this.tick();
    const now = this.ledger.core.now();
    const untilNext = result.nextAt === null ? Infinity : result.nextAt - now;
    const sleep = Math.max(this.options.minSleepMs, Math.min(this.options.pollMs, untilNext));
    this.timer = setTimeout(() => this.loop(), sleep);
  }

  /** One look: fires every active schedule's due slots. Never throws. */
  tick(): TickResult {
    const result: TickResult = { created: [], skipped: 0, missed: 0, failed: 0, nextAt: null };
    let rows: ScheduleRow[];
    try {
      rows = this.ledger.listSchedules().filter((r) => r.status === 'active');
    } catch (err) {
      this.log.error('could not read the schedules; trying again soon', { error: describeError(err) });
      result.failed++;
      return result;
    }
    for (const row of rows) {
      const compiled = this.compile(row);
      if (!compiled) continue;
      try {
        const now = this.ledger.core.now();
        const due = compiled.clock.next(row.cursor_at);
        if (due !== null && due <= now) {
          const fired = this.ledger.fireSchedule(row.id, (state) => this.plan(state));
          result.created.push(...fired.created);
          result.skipped += fired.skipped;
          result.missed += fired.missed;
          if (fired.created.length || fired.skipped || fired.missed)
            this.log.info('schedule fired', {
              schedule: row.id,
              tasks: fired.created,
              skipped: fired.skipped,
              missed: fired.missed,
            });
        }
        const cursor = this.ledger.getSchedule(row.id)?.cursor_at ?? row.cursor_at;
        const next = compiled.clock.next(Math.max(cursor, now));
        if (next !== null && (result.nextAt === null || next < result.nextAt)) result.nextAt = next;
      } catch (err) {
        result.failed++;
        this.log.error('schedule firing failed; trying again at the next look', {
          schedule: row.id,
          error: describeError(err),
        });
      }
    }
    if (result.created.length || result.skipped || result.missed) this.onChange();
    return result;
  }

  /** The plan for the row as read inside the firing transaction (it may differ from the list's). */
  private plan(state: FireState) {
    const compiled = this.compile(state.row);
    if (!compiled) return { cursorAt: state.row.cursor_at, actions: [] };
    return planSlots({
      scheduleId: state.row.id,
      definition: compiled.definition,
      clock: compiled.clock,
      cursorAt: state.row.cursor_at,
      now: state.now,
      openTaskId: state.openTaskId,
      startedAt: this.startedAt,
      graceMs: this.options.graceMs,
    });
  }

  /** The definition and slot clock of a row, cached per definition; null (logged once) if unreadable. */
  private compile(row: ScheduleRow): Compiled | null {
    const cached = this.compiled.get(row.definition);
    if (cached !== undefined) return cached;
    let compiled: Compiled | null = null;
    const definition = toDefinition(row.definition);
    try {
      if (definition) compiled = { definition, clock: slotClockOf(definition) };
    } catch (err) {
      this.log.error('schedule definition cannot be read', { schedule: row.id, error: describeError(err) });
    }
    if (!compiled)
      this.log.error('schedule not fired: its stored definition is not valid', { schedule: row.id });
    this.compiled.set(row.definition, compiled);
    return compiled;
  }
}
