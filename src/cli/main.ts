import { pathToFileURL } from 'node:url';
import { SecretMasker, secretsFromEnv } from '../core/secret-masker.ts';
import { ConfigError, LedgerError, SwarmError } from '../core/errors.ts';
import { EXIT, processIo, type CliIo } from './cli-context.ts';
// Each subcommand is loaded when it runs (below), so a command pays only for what it uses at start.
import { TASK_USAGE } from './cmd-task.ts';

const HELP = `chat-swarm — coordinate AI agents through a chat channel, with a SQLite ledger as the truth

usage: chat-swarm <command> [options]

  up                 run the orchestrator and the configured agents (until Ctrl-C)
  agent <id>         run one agent in this process on the same ledger
  task add|list|show|cancel|retry   enqueue and inspect work without a chat socket
  status [--json]    the board
  audit              verify the event chain, replay it against the task rows, check that every event
                     reached the channel; --channel also checks the checkpoint pinned there (exit 1 if not)
  export [--out F]   the event log and tasks as JSON lines
  init               write a starter chat-swarm.json
  doctor             check the chat platform setup (token, chat, permissions)
  demo               run a demo swarm on the console and exit

every command takes --db PATH (default ./swarm.db, or SWARM_DB) and --config FILE (default ./chat-swarm.json)`;

const COMMON_FLAGS = '[--db PATH] [--config FILE]';

/** Usage of each command, for `chat-swarm <command> --help`. */
const USAGE: Record<string, string> = {
  up: `chat-swarm up ${COMMON_FLAGS}\n  runs the orchestrator and the configured agents until Ctrl-C`,
  agent: `chat-swarm agent <id> [--skills a,b] [--command CMD] [--capacity N] [--lease-ms MS] [--until-idle] ${COMMON_FLAGS}\n  runs one agent (from the config, or described by the flags) on the ledger`,
  task: TASK_USAGE,
  status: `chat-swarm status [--json] ${COMMON_FLAGS}\n  the board: counts, open tasks, agents`,
  audit: `chat-swarm audit [--json] [--channel] [--checkpoint SEQ:HASH] ${COMMON_FLAGS}
  verifies the event chain (with SWARM_AUDIT_KEY: its keyed part too), replays the events against every
  task row, and checks that every event reached the channel; exit 1 if not
  --channel             also read the checkpoint pinned in the configured channel (read-only) and check
                        that the ledger holds that event with that hash
  --checkpoint SEQ:HASH also check a checkpoint copied by hand`,
  export: `chat-swarm export [--out FILE] ${COMMON_FLAGS}\n  the event log and the tasks as JSON lines`,
  init: 'chat-swarm init [FILE] [--force]\n  writes a starter config (default ./chat-swarm.json)',
  doctor: `chat-swarm doctor [--json] [--config FILE]\n  checks the chat platform setup and prints the fix for each problem`,
  demo: 'chat-swarm demo [--db PATH] [--interactive]\n  runs the demo swarm on the console and exits',
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
        return (await import('./cmd-task.ts')).runTask(rest, io);
      case 'status':
        return (await import('./cmd-inspect.ts')).runStatus(rest, io);
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
      case undefined:
      case 'help':
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
