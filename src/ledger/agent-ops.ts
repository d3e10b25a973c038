import { z } from 'zod';
import { LedgerError } from '../core/errors.ts';
import type { AgentRecord, AgentStatus } from '../core/types.ts';
import { release } from './attempt-ops.ts';
import type { LedgerCore } from './ledger-core.ts';

export interface AgentRegistration {
  id: string;
  skills: string[];
  capacity: number;
  pid?: number;
  /**
   * A random id of the process (runtime) that runs the agent. With it, registering refuses a second
   * live process for the same agent id, and releases the claims of a predecessor that is gone.
   */
  instance?: string;
  /** Host name of that process, so a pid is only tested for life on its own host. */
  host?: string;
  /** How long a silent predecessor still counts as alive (its lease). */
  leaseMs?: number;
  /** Whether a process is alive on this host (default: `process.kill(pid, 0)`). */
  isAlive?: (pid: number) => boolean;
}

/** The agent runs in another live process; `AgentRecord` fields say which. */
export class AgentRunningError extends LedgerError {
  override name = 'AgentRunningError';
  constructor(
    message: string,
    readonly agentId: string,
    readonly pid: number | null,
    readonly host: string | null,
  ) {
    super('agent_running', message);
  }
}

interface AgentRow {
  id: string;
  skills: string;
  capacity: number;
  status: string;
  last_heartbeat_at: number | null;
  pid: number | null;
  instance?: string | null;
  host?: string | null;
  started_at?: number | null;
}

const skillsSchema = z.array(z.string());
const statusSchema = z.enum(['active', 'paused', 'offline']);

function toAgent(row: AgentRow): AgentRecord {
  return {
    id: row.id,
    skills: skillsSchema.parse(JSON.parse(row.skills)),
    capacity: row.capacity,
    status: statusSchema.parse(row.status) satisfies AgentStatus,
    lastHeartbeatAt: row.last_heartbeat_at,
    pid: row.pid,
    instance: row.instance ?? null,
    host: row.host ?? null,
    startedAt: row.started_at ?? null,
  };
}

/**
 * Records an agent's skills and capacity; keeps a pause a person set, so a restart does not undo it.
 * With an `instance`: refuses when another process still runs this agent (see
 * {@link AgentRunningError}), and otherwise releases the claims a predecessor left behind, without
 * spending their attempts, so they are taken again at once rather than after their lease.
 */
export function registerAgent(core: LedgerCore, reg: AgentRegistration): void {
  core.write(() => {
    const now = core.now();
    const existing = core.sql('SELECT * FROM agents WHERE id = ?').get(reg.id) as AgentRow | undefined;
    if (reg.instance !== undefined && existing) refuseIfRunning(existing, reg, now, core.options.leaseMs);
    const status = existing?.status === 'paused' ? 'paused' : 'active';
    core
      .sql(
        `INSERT INTO agents (id, skills, capacity, status, last_heartbeat_at, pid, registered_at, instance, host, started_at)
         VALUES (?,?,?,?,?,?,?,?,?,?)
         ON CONFLICT(id) DO UPDATE SET skills = excluded.skills, capacity = excluded.capacity, status = excluded.status,
           last_heartbeat_at = excluded.last_heartbeat_at, pid = excluded.pid, instance = excluded.instance,
           host = excluded.host, started_at = excluded.started_at`,
      )
      .run(
        reg.id,
        JSON.stringify(reg.skills),
        reg.capacity,
        status,
        now,
        reg.pid ?? null,
        now,
        reg.instance ?? null,
        reg.host ?? null,
        now,
      );
    core.appendEvent({
      type: 'agent_registered',
      agentId: reg.id,
      actor: `agent:${reg.id}`,
      data: { skills: reg.skills, capacity: reg.capacity, pid: reg.pid ?? null },
    });
    if (reg.instance !== undefined) releasePredecessorClaims(core, reg, existing);
  });
}

function refuseIfRunning(row: AgentRow, reg: AgentRegistration, now: number, defaultLeaseMs: number): void {
  if (row.status === 'offline' || row.instance == null || row.instance === reg.instance) return;
  const leaseMs = reg.leaseMs ?? defaultLeaseMs;
  const silentMs = row.last_heartbeat_at === null ? Infinity : now - row.last_heartbeat_at;
  if (silentMs >= leaseMs) return;
  const sameHost = row.host !== null && row.host !== undefined && row.host === reg.host;
  if (sameHost && row.pid !== null) {
    // The same process registering again (a library restarting its runtime) is not a rival.
    if (row.pid === reg.pid) return;
    if (!(reg.isAlive ?? isProcessAlive)(row.pid)) return;
  }
  const since = row.started_at == null ? '' : ` since ${new Date(row.started_at).toISOString()}`;
  const where = sameHost ? 'on this host' : `on host ${row.host ?? 'unknown'}`;
  throw new AgentRunningError(
    `agent ${row.id} is already running as pid ${row.pid ?? '?'} ${where}${since} (last seen ` +
      `${Math.round(silentMs / 1000)}s ago); stop it first` +
      (sameHost ? '' : `, or wait until it has been silent for ${Math.round(leaseMs / 1000)}s`),
    row.id,
    row.pid,
    row.host ?? null,
  );
}

/** Gives back, without spending an attempt, every task this agent id holds from another process. */
function releasePredecessorClaims(
  core: LedgerCore,
  reg: AgentRegistration,
  previous: AgentRow | undefined,
): void {
  const held = core
    .sql(
      `SELECT t.id, t.attempt FROM tasks t JOIN attempts a ON a.task_id = t.id AND a.attempt = t.attempt
       WHERE t.owner = ? AND t.status IN ('claimed', 'blocked') AND (a.instance IS NULL OR a.instance <> ?)
       ORDER BY t.seq`,
    )
    .all(reg.id, reg.instance) as { id: string; attempt: number }[];
  const was = previous?.pid == null ? 'its previous process' : `its previous process (pid ${previous.pid})`;
  for (const task of held) {
    release(
      core,
      { taskId: task.id, attempt: task.attempt, agentId: reg.id },
      `agent ${reg.id} restarted; ${was} is gone`,
    );
  }
}

/** Whether a process exists on this host; EPERM means it exists under another user. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Marks an agent offline when its runtime stops cleanly (given its instance: only if it is still the one registered). */
export function markAgentOffline(core: LedgerCore, agentId: string, instance?: string): void {
  core.write(() => {
    // Only the process that runs the agent now: one that was taken over must not mark its successor offline.
    core
      .sql(
        "UPDATE agents SET status = 'offline' WHERE id = ? AND status = 'active' AND (? IS NULL OR instance IS NULL OR instance = ?)",
      )
      .run(agentId, instance ?? null, instance ?? null);
  });
}

/** Liveness signal of an idle agent (working agents beat through their attempts). */
export function agentHeartbeat(core: LedgerCore, agentId: string): void {
  core.sql('UPDATE agents SET last_heartbeat_at = ? WHERE id = ?').run(core.now(), agentId);
}

export function listAgents(core: LedgerCore): AgentRecord[] {
  return (core.sql('SELECT * FROM agents ORDER BY id').all() as AgentRow[]).map(toAgent);
}

export function getAgent(core: LedgerCore, id: string): AgentRecord | undefined {
  const row = core.sql('SELECT * FROM agents WHERE id = ?').get(id) as AgentRow | undefined;
  return row ? toAgent(row) : undefined;
}
