import { pathToFileURL } from 'node:url';
import { SecretMasker, secretsFromEnv } from '../core/secret-masker.ts';
import { ConfigError, LedgerError, SwarmError } from '../core/errors.ts';
import { EXIT, processIo, type CliIo } from './cli-context.ts';
// Subcommands are loaded when they run (below); only their usage texts are imported here.
import { BOARD_USAGE } from './cmd-board.ts';
import { CliError } from './cli-error.ts';
import { PRUNE_USAGE } from './cmd-prune.ts';
import { SCHEDULE_USAGE } from './cmd-schedule.ts';
import { TASK_USAGE } from './cmd-task.ts';
import { CONTROL_USAGE } from './cmd-task-control.ts';
import { packageVersion } from './package-version.ts';

const HELP = `chat-swarm — coordinate AI agents through a chat channel, with a SQLite ledger as the truth

usage: chat-swarm <command> [options]      (chat-swarm <command> --help for its options)

  up                      run the orchestrator and the configured agents (until Ctrl-C)
  agent <id>              run one agent in this process on the same ledger
  agent <id> --remote     run an agent on another host, through the channel (no ledger)
  task add <title>        enqueue work (--key K makes retries safe, --wait blocks until it ends)
  task import <file | ->  enqueue many tasks from JSON lines, all or none (keys make it re-runnable)
  task wait <task...>     block until tasks are done, failed or cancelled (or need a person)
  task list | show        inspect tasks
  task artifacts <task>   list the files a task's result attached, or copy one out
  task answer | approve | reject | note | assign | priority | cancel | retry <task> ...
                          steer a task, as the chat's /answer, /approve, ... do
  schedule add|list|pause|resume|remove|run   recurring tasks: one task per slot
  pause [agent]           stop new claims (the whole swarm, or one agent)
  resume [agent]          claim again
  status [--json]         the board (and the ledger's absolute path)
  board                   serve the live web board from the ledger (read-only unless --controls)
  audit                   verify the event chain, replay it against the task rows, check that every
                          event reached the channel; --channel also checks the pinned checkpoint
  export [--out F]        the event log and tasks as JSON lines
  prune                   remove offline agents, old demo ledgers, old inbox and outbox rows
  init                    write a starter chat-swarm.json (and create its ledger)
  doctor                  check the chat platform setup (token, chat, permissions)
  demo                    run a demo swarm on the console and exit
  where                   print the absolute ledger, config and work folder the commands use
  version                 print the version (also --version)
  help                    this list

where the ledger is: --db PATH, else SWARM_DB, else the config's "db" (relative to the config file),
else ./swarm.db; the config is --config FILE, else SWARM_CONFIG, else ./chat-swarm.json if present.
--which-db on any command says on stderr which ledger it uses.

exit codes: 0 fine, 1 a check found a problem or the ledger refused (unknown task, wrong state) or a
waited-for task failed, 2 bad usage or config, 3 the run failed (e.g. the ledger is not writable);
task wait and task add --wait: 4 cancelled, 5 timed out waiting, 6 needs a person`;

const COMMON_FLAGS = '[--db PATH] [--config FILE]';

/** Usage of each command, for `chat-swarm <command> --help`. */
const USAGE: Record<string, string> = {
  up: `chat-swarm up ${COMMON_FLAGS}\n  runs the orchestrator and the configured agents until Ctrl-C; creates the ledger if missing`,
  agent: `chat-swarm agent <id> [--skills a,b] [--command CMD] [--capacity N] [--lease-ms MS] [--until-idle] ${COMMON_FLAGS}\n  runs one agent (from the config, or described by the flags) on the ledger`,
  task: TASK_USAGE,
  board: BOARD_USAGE,
  schedule: SCHEDULE_USAGE,
  status: `chat-swarm status [--json] ${COMMON_FLAGS}\n  the board: the ledger's absolute path, counts, open tasks, agents`,
  audit: `chat-swarm audit [--json] [--channel] [--checkpoint SEQ:HASH] ${COMMON_FLAGS}
  verifies the event chain (with SWARM_AUDIT_KEY: its keyed part too), replays the events against every
  task row, and checks that every event reached the channel; exit 1 if not
  --channel             also read the checkpoint pinned in the configured channel (read-only) and check
                        that the ledger holds that event with that hash
  --checkpoint SEQ:HASH also check a checkpoint copied by hand`,
  export: `chat-swarm export [--out FILE] ${COMMON_FLAGS}\n  the event log and the tasks as JSON lines`,
  pause: `${CONTROL_USAGE.pause} [--json] ${COMMON_FLAGS}\n  no new claims: by one agent, or (no agent, or all) by the whole swarm`,
  resume: `${CONTROL_USAGE.resume} [--json] ${COMMON_FLAGS}\n  lets the agent (or the whole swarm) claim again`,
  prune: PRUNE_USAGE,
  init: 'chat-swarm init [FILE] [--force]\n  writes a starter config (default ./chat-swarm.json) and creates its ledger',
  doctor: `chat-swarm doctor [--json] [--config FILE]\n  checks the chat platform setup and prints the fix for each problem`,
  demo: 'chat-swarm demo [--db PATH] [--interactive]\n  runs the demo swarm on the console and exits; keeps the last 5 runs in .swarm-work/demo/',
  where: `chat-swarm where [--json] ${COMMON_FLAGS}\n  the absolute ledger, config and work folder that commands run here use`,
  version: 'chat-swarm version (or --version)\n  prints the version',
  help: "chat-swarm help [command]\n  lists every command, or shows one command's usage",
};

/**
 * Makes everything this process and its workers create private to the user (files 0600, folders
 * 0700), whatever umask the shell had: ledger, WAL, work folders, exports, the workers' own files.
 */
export function makeCreatedFilesPrivate(): void {
  try {
    process.umask(0o077);
  } catch {
    // Worker threads cannot change the umask; the ledger file and folders get explicit modes anyway.
  }
}

/** Runs one CLI invocation and returns its exit code; errors become one clear line, never a stack. */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  makeCreatedFilesPrivate();
  if (argv.includes('--which-db')) {
    io = { ...io, whichDb: true };
    argv = argv.filter((a) => a !== '--which-db');
  }
  const [command, ...rest] = argv;
  if (command && USAGE[command] && (rest.includes('--help') || rest.includes('-h'))) {
    io.out(USAGE[command]);
    return EXIT.ok;
  }
  try {
    switch (command) {
      case 'up':
        return await (await import('./cmd-up.ts')).runUp(rest, io);
      case 'agent':
        return await (await import('./cmd-up.ts')).runAgent(rest, io);
      case 'task':
        return await (await import('./cmd-task.ts')).runTask(rest, io);
      case 'pause':
      case 'resume':
        return await (await import('./cmd-task-control.ts')).runControl(command, rest, io);
      case 'prune':
        return (await import('./cmd-prune.ts')).runPrune(rest, io);
      case 'where':
        return (await import('./cmd-where.ts')).runWhere(rest, io);
      case 'version':
      case '--version':
      case '-V':
        io.out(`chat-swarm ${packageVersion()}`);
        return EXIT.ok;
      case 'schedule':
        return (await import('./cmd-schedule.ts')).runSchedule(rest, io);
      case 'status':
        return (await import('./cmd-inspect.ts')).runStatus(rest, io);
      case 'board':
        return await (await import('./cmd-board.ts')).runBoard(rest, io);
      case 'audit':
        return await (await import('./cmd-inspect.ts')).runAudit(rest, io);
      case 'export':
        return await (await import('./cmd-inspect.ts')).runExport(rest, io);
      case 'init':
        return (await import('./cmd-init.ts')).runInit(rest, io);
      case 'doctor':
        return await (await import('./cmd-doctor.ts')).runDoctor(rest, io);
      case 'demo':
        return await (await import('./cmd-demo.ts')).runDemoCommand(rest, io);
      case 'help':
        io.out((rest[0] && USAGE[rest[0]]) || HELP);
        return EXIT.ok;
      case undefined:
      case '--help':
      case '-h':
        io.out(HELP);
        return command === undefined ? EXIT.usage : EXIT.ok;
      default:
        io.err(`unknown command '${command}'\n\n${HELP}`);
        return EXIT.usage;
    }
  } catch (err) {
    // No config here (loading it may be what failed): mask the environment's secrets and token shapes.
    const masker = new SecretMasker(secretsFromEnv(io.env));
    const message = masker.mask(err instanceof Error ? err.message : String(err));
    if (err instanceof CliError) {
      io.err(message);
      return err.exitCode;
    }
    if (err instanceof ConfigError) {
      io.err(`config error: ${message}`);
      return EXIT.usage;
    }
    if (err instanceof LedgerError) {
      // The request does not fit the ledger (unknown task, wrong state): a problem, not a crash.
      io.err(message);
      return EXIT.problem;
    }
    if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) {
      io.err(`${message}\nusage: ${USAGE[command ?? ''] ?? HELP}`);
      return EXIT.usage;
    }
    io.err(`${err instanceof SwarmError ? '' : 'unexpected error: '}${message}`);
    if (io.env.SWARM_DEBUG) io.err(masker.mask(String((err as Error).stack)));
    return EXIT.failure;
  }
}

/**
 * Leaves once everything written to stdout and stderr has been handed over (a pipe may still be
 * draining; exiting at once cut `export | wc -l` short), and leaves even if a chat library left a
 * stray timer behind.
 */
export function exitAfterOutput(code: number): void {
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  exitAfterOutput(await main(process.argv.slice(2)));
}
