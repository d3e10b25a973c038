/**
 * The shape of a schedule: when it fires, the task each slot makes, and its policies. Checked by
 * `src/schedules/schedule-spec.ts`; kept here, free of imports, so commands and schedules share it.
 */

export const MISSED_POLICIES = ['latest', 'skip', 'all'] as const;
/** What to do with slots that passed while nothing was running: see the README, "Schedules". */
export type MissedPolicy = (typeof MISSED_POLICIES)[number];
export const OVERLAP_POLICIES = ['skip', 'allow'] as const;
/** Whether a slot runs while an earlier task of the schedule is still open. */
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

/** The task each slot makes: the fields of `/task`, without a key (the slot gives it) or `after=`. */
export interface TaskTemplate {
  title: string;
  body: string;
  skills: string[];
  priority: number;
  review: boolean;
  maxAttempts: number;
  timeoutMs?: number;
}

/** A checked schedule as the ledger stores it; two equal definitions serialise to the same JSON. */
export interface ScheduleDefinition {
  /** A cron expression (5 fields, or 6 with seconds first), read in `timezone`. */
  cron?: string;
  /** A fixed interval instead of `cron`: slots at whole multiples of it since 1970-01-01 UTC. */
  everyMs?: number;
  timezone: string;
  task: TaskTemplate;
  missed: { policy: MissedPolicy; cap: number };
  overlap: OverlapPolicy;
}

/** A schedule with its id, as read from the config or a command. */
export interface ScheduleSpec {
  id: string;
  definition: ScheduleDefinition;
}
