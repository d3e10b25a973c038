import { resolve } from 'node:path';
import { AgentRuntime } from '../agents/agent-runtime.ts';
import { LedgerWatcher } from '../agents/ledger-watcher.ts';
import { resolveCommand } from '../agents/resolve-command.ts';
import { createShellWorker } from '../agents/shell-worker.ts';
import type { ChatPort } from '../chat/chat-port.ts';
import type { AdminPolicy } from '../commands/command-handler.ts';
import { secretEnvNames, type AgentConfig, type SwarmConfig } from '../config/config-schema.ts';
import type { Logger } from '../core/logger.ts';
import { Ledger } from '../ledger/ledger.ts';
import { Orchestrator } from '../orchestrator/orchestrator.ts';
import type { PosterOptions } from '../orchestrator/poster-options.ts';

/** Opens the ledger named by the config (or `--db`), with the config's durability and lease settings. */
export function openLedger(config: SwarmConfig, dbPath: string): Ledger {
  return Ledger.open(dbPath, {
    synchronous: config.ledger.synchronous,
    busyTimeoutMs: config.ledger.busyTimeoutMs,
    leaseMs: config.ledger.leaseMs,
    retryBaseMs: config.ledger.retryBaseMs,
    defaultTimeoutMs: config.ledger.defaultTimeoutMs,
    defaultMaxAttempts: config.ledger.defaultMaxAttempts,
  });
}

/** The values of the secret variables this process holds, so no artifact can carry one out. */
function secretValues(names: readonly string[]): string[] {
  return names.map((n) => process.env[n]?.trim() ?? '').filter((v) => v.length >= 8);
}

/** An agent runtime with the built-in shell worker, as the config describes it. */
export function createConfiguredAgent(
  agent: AgentConfig,
  config: SwarmConfig,
  ledger: Ledger,
  log: Logger,
  watcher: LedgerWatcher,
  sweepLeases: boolean,
  /** Folder that a command's leading `./script` is relative to (the config file's). */
  baseDir: string = process.cwd(),
): AgentRuntime {
  const withheld = secretEnvNames(config);
  return new AgentRuntime(ledger, {
    id: agent.id,
    skills: agent.skills,
    capacity: agent.capacity,
    worker: createShellWorker({
      command: resolveCommand(agent.command, baseDir),
      env: agent.env,
      passEnv: agent.passEnv ?? [],
      withheldEnv: withheld,
      log,
    }),
    workRoot: resolve(config.workDir, 'tasks'),
    artifactRoot: resolve(config.workDir, 'artifacts'),
    secrets: secretValues(withheld),
    log,
    watcher,
    sweepLeases,
    ...(agent.leaseMs !== undefined ? { leaseMs: agent.leaseMs } : {}),
  });
}

/** The orchestrator and the configured agents in one process: what `chat-swarm up` runs. */
export class Swarm {
  readonly orchestrator: Orchestrator;
  readonly agents: AgentRuntime[];
  readonly watcher: LedgerWatcher;

  constructor(
    readonly ledger: Ledger,
    port: ChatPort,
    config: SwarmConfig,
    opts: {
      admins: AdminPolicy;
      pacing: Partial<PosterOptions>;
      log: Logger;
      agents?: AgentRuntime[];
      /** Folder the agents' relative commands are resolved against. */
      baseDir?: string;
    },
  ) {
    this.watcher = new LedgerWatcher(ledger);
    this.orchestrator = new Orchestrator({
      ledger,
      port,
      channel: 'main',
      admins: opts.admins,
      log: opts.log,
      poster: opts.pacing,
    });
    this.agents =
      opts.agents ??
      config.agents.map((a) =>
        createConfiguredAgent(a, config, ledger, opts.log, this.watcher, false, opts.baseDir),
      );
  }

  async start(): Promise<void> {
    await this.orchestrator.start();
    for (const agent of this.agents) agent.start();
  }

  /** Stops agents (their running tasks go back to the queue), then posts what it can and disconnects. */
  async stop(drainMs = 5_000): Promise<void> {
    await Promise.all(this.agents.map((a) => a.stop()));
    await this.orchestrator.poster.drain(drainMs);
    await this.orchestrator.stop();
  }
}
