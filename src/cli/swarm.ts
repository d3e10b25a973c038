import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { AgentRuntime } from '../agents/agent-runtime.ts';
import { LedgerWatcher } from '../agents/ledger-watcher.ts';
import type { ChatPort } from '../chat/chat-port.ts';
import type { AdminPolicy } from '../commands/command-handler.ts';
import { secretEnvNames, type AgentConfig, type SwarmConfig } from '../config/config-schema.ts';
import type { Logger } from '../core/logger.ts';
import { secretsFromEnv, type NamedSecret } from '../core/secret-masker.ts';
import { Ledger } from '../ledger/ledger.ts';
import { Orchestrator } from '../orchestrator/orchestrator.ts';
import type { PosterOptions } from '../orchestrator/poster-options.ts';
import { budgetsOf, createAgentWorker } from '../presets/agent-worker.ts';
import { Scheduler, type SchedulerOptions } from '../schedules/scheduler.ts';
import { syncConfigSchedules } from '../schedules/sync-config-schedules.ts';
import { arbiterOptionsOf } from '../remote/remote-config.ts';

/**
 * The secrets to mask for this config: the values of the environment variables its channel, agents
 * and board name in `tokenEnv`, plus the defaults and credential-named variables (`secretsFromEnv`).
 */
export function configuredSecrets(config: SwarmConfig, env: NodeJS.ProcessEnv): NamedSecret[] {
  const names: string[] = [];
  if ('tokenEnv' in config.channel) names.push(config.channel.tokenEnv);
  for (const agent of config.agents) if (agent.tokenEnv !== undefined) names.push(agent.tokenEnv);
  if (config.board.tokenEnv !== undefined) names.push(config.board.tokenEnv);
  return secretsFromEnv(env, names);
}

/**
 * Opens the ledger named by the config (or `--db`), with the config's durability and lease settings,
 * masking the config's secrets. The one place SWARM_AUDIT_KEY is read: every process that writes
 * events gets it from here. Both come from `env` (this process's environment unless given).
 * `readonly` for commands that only read.
 */
export function openLedger(
  config: SwarmConfig,
  dbPath: string,
  env: NodeJS.ProcessEnv = process.env,
  access: { readonly?: boolean } = {},
): Ledger {
  return Ledger.open(dbPath, {
    secrets: configuredSecrets(config, env),
    auditKey: env.SWARM_AUDIT_KEY,
    ...(access.readonly ? { readonly: true } : {}),
    synchronous: config.ledger.synchronous,
    busyTimeoutMs: config.ledger.busyTimeoutMs,
    leaseMs: config.ledger.leaseMs,
    retryBaseMs: config.ledger.retryBaseMs,
    defaultTimeoutMs: config.ledger.defaultTimeoutMs,
    defaultMaxAttempts: config.ledger.defaultMaxAttempts,
  });
}

/** Mode of every folder the swarm creates: its user only. */
export const PRIVATE_DIR_MODE = 0o700;

/**
 * Creates the work root (`<workDir>/tasks`, and `workDir` if missing) private to the user, and
 * tightens the root when an older version left it open to others: the attempt folders below hold
 * task bodies and results. `workDir` itself is never changed (it may be a shared folder). Returns the root.
 */
export function preparePrivateWorkRoot(workDir: string): string {
  const root = resolve(workDir, 'tasks');
  mkdirSync(root, { recursive: true, mode: PRIVATE_DIR_MODE });
  try {
    if ((statSync(root).mode & 0o077) !== 0) chmodSync(root, PRIVATE_DIR_MODE);
  } catch {
    // Not ours to change: leave it; the folders the swarm creates inside are still private.
  }
  return root;
}

/** The values of the secret variables this process holds, so no artifact can carry one out. */
function secretValues(names: readonly string[]): string[] {
  return names.map((n) => process.env[n]?.trim() ?? '').filter((v) => v.length >= 8);
}

/** An agent runtime with its worker (a shell command or a preset) and budgets, as the config describes it. */
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
    worker: createAgentWorker(agent, { baseDir, withheldEnv: withheld, log }),
    budgets: budgetsOf(agent, config),
    workRoot: preparePrivateWorkRoot(config.workDir),
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
  /** Fires the schedules' slots (config and chat-made) into tasks. */
  readonly scheduler: Scheduler;
  private readonly log: Logger;
  private readonly schedules: SwarmConfig['schedules'];

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
      scheduler?: Partial<SchedulerOptions>;
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
      inbox: {
        retentionMs: config.inbox.retentionDays * 86_400_000,
        replyLimits: { maxReplies: config.inbox.repliesPerMinute, windowMs: 60_000 },
      },
      checkpointIntervalMs: config.checkpointIntervalMs,
      ...(config.remote.agents.length > 0 ? { remote: arbiterOptionsOf(config) } : {}),
    });
    this.log = opts.log;
    this.schedules = config.schedules;
    this.scheduler = new Scheduler(ledger, opts.log, opts.scheduler, () => this.orchestrator.poster.kick());
    this.agents =
      opts.agents ??
      config.agents.map((a) =>
        createConfiguredAgent(a, config, ledger, opts.log, this.watcher, false, opts.baseDir),
      );
  }

  async start(): Promise<void> {
    syncConfigSchedules(this.ledger, this.schedules, this.log);
    await this.orchestrator.start();
    this.scheduler.start();
    for (const agent of this.agents) agent.start();
  }

  /** Stops agents (their running tasks go back to the queue), then posts what it can and disconnects. */
  async stop(drainMs = 5_000): Promise<void> {
    this.scheduler.stop();
    await Promise.all(this.agents.map((a) => a.stop()));
    await this.orchestrator.poster.drain(drainMs);
    await this.orchestrator.stop();
  }
}
