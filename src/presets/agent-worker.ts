import { resolveCommand } from '../agents/resolve-command.ts';
import { createShellWorker } from '../agents/shell-worker.ts';
import type { UsageBudgets } from '../agents/usage-meter.ts';
import type { Worker } from '../agents/worker.ts';
import type { AgentConfig, SwarmConfig } from '../config/config-schema.ts';
import { ConfigError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { withGitWorktree } from './git-worktree.ts';
import { findCli, missingCliProblem, PRESETS } from './preset-registry.ts';
import { createPresetWorker } from './preset-worker.ts';

/** What building an agent's worker needs besides its config entry. */
export interface AgentWorkerDeps {
  /** Folder that a command's leading `./script` (and a worktree's repo) is relative to. */
  baseDir: string;
  /** Variables never passed to a worker (every tokenEnv, SWARM_AUDIT_KEY). */
  withheldEnv: readonly string[];
  log: Logger;
  /** Where the CLI is looked up (PATH); this process's environment by default. */
  env?: NodeJS.ProcessEnv;
}

/**
 * The worker an agent entry describes: its shell `command`, or its `preset`'s CLI. A preset whose
 * CLI is not installed is refused here, so `up` and `agent` stop at once with the fix. With
 * `worktree`, each attempt runs in a fresh git worktree of the repository (see git-worktree.ts).
 */
export function createAgentWorker(agent: AgentConfig, deps: AgentWorkerDeps): Worker {
  const worker = createBareWorker(agent, deps);
  if (!agent.worktree) return worker;
  return withGitWorktree(worker, {
    repo: agent.worktree.repo,
    ...(agent.worktree.base !== undefined ? { base: agent.worktree.base } : {}),
    baseDir: deps.baseDir,
    log: deps.log,
  });
}

function createBareWorker(agent: AgentConfig, deps: AgentWorkerDeps): Worker {
  const env = deps.env ?? process.env;
  if (agent.preset !== undefined) {
    const preset = PRESETS[agent.preset];
    const problem = missingCliProblem(agent.id, preset, agent.cli, deps.baseDir, env.PATH);
    if (problem) throw new ConfigError(problem);
    return createPresetWorker({
      preset,
      cli: findCli(preset, agent.cli, deps.baseDir, env.PATH) ?? preset.command,
      ...(agent.model !== undefined ? { model: agent.model } : {}),
      args: agent.args ?? [],
      env: agent.env,
      passEnv: agent.passEnv ?? [],
      withheldEnv: deps.withheldEnv,
      ...(agent.idleTimeoutMs !== undefined ? { idleTimeoutMs: agent.idleTimeoutMs } : {}),
      log: deps.log,
    });
  }
  if (agent.command === undefined)
    throw new ConfigError(`agent ${agent.id}: give it a "command" or a "preset"`);
  return createShellWorker({
    command: resolveCommand(agent.command, deps.baseDir),
    env: agent.env,
    passEnv: agent.passEnv ?? [],
    withheldEnv: deps.withheldEnv,
    log: deps.log,
  });
}

/** The budgets and prices an agent runs under: its own daily budget and prices, the swarm's daily budget. */
export function budgetsOf(agent: AgentConfig, config: Pick<SwarmConfig, 'budgets'>): UsageBudgets {
  return {
    ...(agent.budget ? { agentPerDay: agent.budget } : {}),
    ...(config.budgets.swarmPerDay ? { swarmPerDay: config.budgets.swarmPerDay } : {}),
    ...(agent.pricing ? { pricing: agent.pricing } : {}),
  };
}

/**
 * The fields of a config entry that `chat-swarm agent <id>` keeps when it runs that agent: its
 * budget, prices and worktree always, its preset unless `--command` replaces the worker.
 */
export function configuredExtras(agent: AgentConfig, commandGiven: boolean): Partial<AgentConfig> {
  const keep = ['budget', 'pricing', 'worktree', 'idleTimeoutMs'] as const;
  const preset = ['preset', 'model', 'cli', 'args'] as const;
  const out: Record<string, unknown> = {};
  for (const key of [...keep, ...(commandGiven ? [] : preset)])
    if (agent[key] !== undefined) out[key] = agent[key];
  return out;
}
