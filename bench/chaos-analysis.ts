import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Ledger } from '../src/ledger/ledger.ts';

/** One worker's record, written by the bench's worker command when it starts. */
export interface WorkerRecord {
  pgid: number;
  agentPid: number;
  taskId: string;
  attempt: number;
}

/** What the worker appended (its side effect) just before it printed its result. */
export interface EffectRecord {
  taskId: string;
  attempt: number;
  agentPid: number;
  atMs: number;
}

/** The chaos figures. */
export interface ChaosFigures {
  tasks: number;
  lost: number;
  doneTwice: number;
  staleAccepted: number;
  staleRefused: number;
  repeatedEffects: number;
  effectsAfterAgentKilled: number;
  /** Each task not done, with its state and last error, to tell why. */
  lostDetails: string[];
  /** Longest time between an agent's kill and an effect its worker still wrote (its watchdog's reaction). */
  maxEffectDelayMs: number;
}

/** Reads the pid records the workers wrote (`<pgid>` files holding `agentPid taskId attempt`). */
export function readWorkerRecords(pidDir: string): WorkerRecord[] {
  if (!existsSync(pidDir)) return [];
  return readdirSync(pidDir).flatMap((name) => {
    const [agentPid, taskId, attempt] = readFileSync(join(pidDir, name), 'utf8').trim().split(' ');
    const pgid = Number(name);
    if (!taskId || !Number.isInteger(pgid)) return [];
    return [{ pgid, agentPid: Number(agentPid), taskId, attempt: Number(attempt) }];
  });
}

/** Reads the side-effect log (`taskId attempt agentPid epochMs` per line). */
export function readEffects(file: string): EffectRecord[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [taskId = '', attempt, agentPid, atMs] = line.split(' ');
      return { taskId, attempt: Number(attempt), agentPid: Number(agentPid), atMs: Number(atMs) };
    });
}

/** True while some process of group `pgid` runs (zombies do not count: they run nothing). */
export function groupAlive(pgid: number): boolean {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // After the command name: state, ppid, pgrp.
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') return true;
    } catch {
      // Gone while we looked.
    }
  }
  return false;
}

/**
 * Counts, from the ledger and the workers' own records: tasks not done (lost), tasks with more than
 * one accepted result (done twice), results accepted from an attempt that was no longer the current
 * claim (stale writes accepted, found by replaying the event log), and side effects that happened
 * more than once, and of those, the ones written after their agent had been killed (an orphan's work).
 */
export function analyseChaos(
  ledger: Ledger,
  effects: EffectRecord[],
  killedAt: Map<number, number>,
): ChaosFigures {
  const tasks = ledger.listTasks();
  const current = new Map<string, number>();
  const doneCount = new Map<string, number>();
  let staleAccepted = 0;
  let staleRefused = 0;
  for (const e of ledger.events()) {
    if (!e.taskId) continue;
    const attempt = Number(e.data.attempt);
    if (e.type === 'task_claimed') current.set(e.taskId, attempt);
    if (e.type === 'stale_write_refused') staleRefused++;
    if (e.type === 'task_done' || e.type === 'task_review') {
      doneCount.set(e.taskId, (doneCount.get(e.taskId) ?? 0) + 1);
      if (current.get(e.taskId) !== attempt) staleAccepted++;
    }
    if (e.type === 'attempt_failed' || e.type === 'task_released') {
      if (e.agentId && current.get(e.taskId) !== attempt) staleAccepted++;
    }
  }
  const accepted = new Map(tasks.map((t) => [t.id, t.attempt]));
  for (const t of tasks) {
    // The stored result names its attempt: it must be the attempt the ledger says finished.
    if (t.status === 'done' && t.result !== `result ${t.id} attempt ${t.attempt}`) staleAccepted++;
  }
  const perTask = new Map<string, EffectRecord[]>();
  for (const f of effects) perTask.set(f.taskId, [...(perTask.get(f.taskId) ?? []), f]);
  let repeatedEffects = 0;
  let effectsAfterAgentKilled = 0;
  let maxEffectDelayMs = 0;
  for (const [taskId, list] of perTask) {
    if (list.length > 1) repeatedEffects++;
    for (const f of list) {
      const killed = killedAt.get(f.agentPid);
      if (killed !== undefined && f.atMs > killed && f.attempt !== accepted.get(taskId)) {
        effectsAfterAgentKilled++;
        maxEffectDelayMs = Math.max(maxEffectDelayMs, f.atMs - killed);
      }
    }
  }
  return {
    tasks: tasks.length,
    lost: tasks.filter((t) => t.status !== 'done').length,
    lostDetails: tasks
      .filter((t) => t.status !== 'done')
      .map((t) => `${t.id} ${t.status} (attempt ${t.attempt}): ${t.lastError ?? ''}`),
    doneTwice: [...doneCount.values()].filter((n) => n > 1).length,
    staleAccepted,
    staleRefused,
    repeatedEffects,
    effectsAfterAgentKilled,
    maxEffectDelayMs,
  };
}
