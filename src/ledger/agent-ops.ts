import { z } from 'zod';
import type { AgentRecord, AgentStatus } from '../core/types.ts';
import type { LedgerCore } from './ledger-core.ts';

export interface AgentRegistration {
  id: string;
  skills: string[];
  capacity: number;
  pid?: number;
}

interface AgentRow {
  id: string;
  skills: string;
  capacity: number;
  status: string;
  last_heartbeat_at: number | null;
  pid: number | null;
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
  };
}

/** Records an agent's skills and capacity; keeps a pause a person set, so a restart does not undo it. */
export function registerAgent(core: LedgerCore, reg: AgentRegistration): void {
  core.write(() => {
    const now = core.now();
    const existing = core.sql('SELECT status FROM agents WHERE id = ?').get(reg.id) as
      { status: string } | undefined;
    const status = existing?.status === 'paused' ? 'paused' : 'active';
    core
      .sql(
        `INSERT INTO agents (id, skills, capacity, status, last_heartbeat_at, pid, registered_at) VALUES (?,?,?,?,?,?,?)
         ON CONFLICT(id) DO UPDATE SET skills = excluded.skills, capacity = excluded.capacity, status = excluded.status,
           last_heartbeat_at = excluded.last_heartbeat_at, pid = excluded.pid`,
      )
      .run(reg.id, JSON.stringify(reg.skills), reg.capacity, status, now, reg.pid ?? null, now);
    core.appendEvent({
      type: 'agent_registered',
      agentId: reg.id,
      actor: `agent:${reg.id}`,
      data: { skills: reg.skills, capacity: reg.capacity, pid: reg.pid ?? null },
    });
  });
}

/** Marks an agent offline when its runtime stops cleanly. */
export function markAgentOffline(core: LedgerCore, agentId: string): void {
  core.write(() => {
    core.sql("UPDATE agents SET status = 'offline' WHERE id = ? AND status = 'active'").run(agentId);
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
