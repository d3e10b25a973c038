import { parseCliArgs } from './parse-cli-args.ts';
import { LedgerWatcher } from '../agents/ledger-watcher.ts';
import { checkAgentCommands, commandProblems } from '../agents/check-command.ts';
import { waitUntilIdle } from '../agents/until-idle.ts';
import type { AgentConfig } from '../config/config-schema.ts';
import { agentSchema } from '../config/config-schema.ts';
import { ConfigError } from '../core/errors.ts';
import { resolveBoardAccess } from '../board/board-access.ts';
import { cliContext, cwdOf, EXIT, type CliIo } from './cli-context.ts';
import { openCliLedger } from './cli-ledger.ts';
import { startSwarmBoard } from './cmd-board.ts';
import { stopSignal } from './stop-signal.ts';
import { runRemoteAgent } from './cmd-remote-agent.ts';
import { openChannel } from './open-channel.ts';
import { createConfiguredAgent, Swarm } from './swarm.ts';
import { configuredExtras } from '../presets/agent-worker.ts';

const COMMON = { db: { type: 'string' }, config: { type: 'string' } } as const;

/** `chat-swarm up`: the orchestrator and the configured agents, until Ctrl-C. */
export async function runUp(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCliArgs({ args: argv, options: COMMON, strict: true });
  const ctx = cliContext(values, io);
  // A board that would be open to the network without a token stops `up` before anything starts.
  const boardAccess = ctx.config.board.enabled ? resolveBoardAccess(ctx.config.board, io.env) : undefined;
  assertCommandsRun(ctx.config.agents, ctx.configDir, io.env);
  const ledger = openCliLedger(ctx, 'create');
  try {
    // A keyed ledger refuses writes without its key: say so now, not at the first event.
    ledger.assertCanWrite();
    const channel = await openChannel(ctx.config, ledger, ctx.log, io.env);
    const swarm = new Swarm(ledger, channel.port, ctx.config, {
      ...channel,
      log: ctx.log,
      baseDir: ctx.configDir,
    });
    await swarm.start();
    ctx.log.info('swarm up', {
      config: ctx.configSource,
      db: ctx.dbPath,
      agents: swarm.agents.length,
      platform: channel.port.platform,
    });
    const board =
      boardAccess &&
      (await startSwarmBoard(boardAccess, {
        ledger,
        config: ctx.config,
        watcher: swarm.watcher,
        pacing: channel.pacing,
        log: ctx.log,
        onControl: () => swarm.orchestrator.poster.kick(),
      }));
    const sig = await stopSignal();
    ctx.log.info('stopping', { signal: sig });
    await board?.close();
    await swarm.stop();
    return EXIT.ok;
  } finally {
    ledger.close();
  }
}

/**
 * `chat-swarm agent <id>`: one agent in its own process on the same ledger file. The agent comes
 * from the config, or from `--skills` and `--command`. `--until-idle` exits once nothing is left to do.
 */
export async function runAgent(argv: string[], io: CliIo): Promise<number> {
  // An agent on another host: no ledger, its own bot in the channel (docs/remote-agents.md).
  if (argv.includes('--remote'))
    return runRemoteAgent(
      argv.filter((a) => a !== '--remote'),
      io,
    );
  const { values, positionals } = parseCliArgs({
    args: argv,
    options: {
      ...COMMON,
      skills: { type: 'string' },
      command: { type: 'string' },
      capacity: { type: 'string' },
      'lease-ms': { type: 'string' },
      'until-idle': { type: 'boolean' },
    },
    allowPositionals: true,
    strict: true,
  });
  const id = positionals[0];
  if (!id) {
    io.err(
      'usage: chat-swarm agent <id> [--skills a,b --command "..." --capacity N --lease-ms MS --until-idle] [--db PATH]',
    );
    return EXIT.usage;
  }
  const ctx = cliContext(values, io);
  const fromConfig = ctx.config.agents.find((a) => a.id === id);
  const adHoc = agentSchema.safeParse({
    id,
    skills: values.skills?.split(',').filter(Boolean) ?? fromConfig?.skills ?? [],
    capacity:
      values.capacity !== undefined ? wholeNumber('capacity', values.capacity) : (fromConfig?.capacity ?? 1),
    command: values.command ?? fromConfig?.command,
    // The worker's environment rule (env, passEnv) holds whether the agent runs in `up` or here.
    ...(fromConfig
      ? {
          env: fromConfig.env,
          passEnv: fromConfig.passEnv ?? [],
          ...configuredExtras(fromConfig, values.command !== undefined),
        }
      : {}),
    ...(values['lease-ms'] !== undefined
      ? { leaseMs: wholeNumber('lease-ms', values['lease-ms']) }
      : fromConfig?.leaseMs
        ? { leaseMs: fromConfig.leaseMs }
        : {}),
  });
  if (!adHoc.success) {
    throw new ConfigError(
      fromConfig || values.command
        ? `agent ${id}: ${adHoc.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`
        : `no agent '${id}' in ${ctx.configSource}; add it to the config or pass --skills and --command`,
    );
  }
  // A command given on the command line is relative to here; one from the config, to the config.
  const baseDir = values.command !== undefined ? cwdOf(io) : ctx.configDir;
  assertCommandsRun([adHoc.data], baseDir, io.env);
  const ledger = openCliLedger(ctx, 'create');
  try {
    ledger.assertCanWrite();
  } catch (err) {
    ledger.close();
    throw err;
  }
  const watcher = new LedgerWatcher(ledger);
  const agent = createConfiguredAgent(adHoc.data, ctx.config, ledger, ctx.log, watcher, true, baseDir);
  try {
    agent.start();
    ctx.log.info('agent up', { id, db: ctx.dbPath, pid: process.pid });
    if (values['until-idle']) {
      if ((await waitUntilIdle(agent, ledger, watcher, stopSignal(), ctx.log)) === 'idle')
        ctx.log.info('nothing left this agent could take; exiting', { id });
    } else {
      await stopSignal();
    }
    await agent.stop();
    return EXIT.ok;
  } finally {
    ledger.close();
  }
}

/**
 * Refuses to start agents whose command cannot run (a missing script, no execute bit, a program not
 * on PATH): otherwise every task routed to them would burn its attempts on exit 127.
 */
function assertCommandsRun(agents: readonly AgentConfig[], baseDir: string, env: NodeJS.ProcessEnv): void {
  const problems = commandProblems(
    checkAgentCommands(
      agents.flatMap((a) =>
        a.command === undefined
          ? []
          : [{ id: a.id, command: a.command, baseDir, path: a.env.PATH ?? env.PATH }],
      ),
    ),
  );
  if (problems.length > 0) throw new ConfigError(`cannot start:\n  ${problems.join('\n  ')}`);
}

/** A flag's whole-number value, or a usage error that names the flag. */
function wholeNumber(flag: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n))
    throw new ConfigError(`--${flag} takes a whole number (milliseconds for --lease-ms), got '${raw}'`);
  return n;
}
