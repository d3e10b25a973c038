import { pathToFileURL } from 'node:url';
import { redactSecrets } from '../core/logger.ts';
import { ConfigError, SwarmError } from '../core/errors.ts';
import { EXIT, processIo, type CliIo } from './cli-context.ts';
import { runAgent, runUp } from './cmd-up.ts';
import { runAudit, runExport, runStatus } from './cmd-inspect.ts';
import { runDemoCommand } from './cmd-demo.ts';
import { runDoctor } from './cmd-doctor.ts';
import { runInit } from './cmd-init.ts';
import { runTask } from './cmd-task.ts';

const HELP = `chat-swarm — coordinate AI agents through a chat channel, with a SQLite ledger as the truth

usage: chat-swarm <command> [options]

  up                 run the orchestrator and the configured agents (until Ctrl-C)
  agent <id>         run one agent in this process on the same ledger
  task add|list|show|cancel|retry   enqueue and inspect work without a chat socket
  status [--json]    the board
  audit              verify the event chain and that every event reached the channel (exit 1 if not)
  export [--out F]   the event log and tasks as JSON lines
  init               write a starter chat-swarm.json
  doctor             check the chat platform setup (token, chat, permissions)
  demo               run a demo swarm on the console and exit

every command takes --db PATH (default ./swarm.db, or SWARM_DB) and --config FILE (default ./chat-swarm.json)`;

/** Runs one CLI invocation and returns its exit code; errors become one clear line, never a stack. */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'up':
        return await runUp(rest, io);
      case 'agent':
        return await runAgent(rest, io);
      case 'task':
        return runTask(rest, io);
      case 'status':
        return runStatus(rest, io);
      case 'audit':
        return runAudit(rest, io);
      case 'export':
        return await runExport(rest, io);
      case 'init':
        return runInit(rest, io);
      case 'doctor':
        return await runDoctor(rest, io);
      case 'demo':
        return await runDemoCommand(rest, io);
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
    const message = redactSecrets(err instanceof Error ? err.message : String(err));
    if (err instanceof ConfigError) {
      io.err(`config error: ${message}`);
      return EXIT.usage;
    }
    if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) {
      io.err(`${message}\nrun 'chat-swarm ${command ?? ''} --help' for usage`);
      return EXIT.usage;
    }
    io.err(`${err instanceof SwarmError ? '' : 'unexpected error: '}${message}`);
    if (io.env.SWARM_DEBUG) io.err(redactSecrets(String((err as Error).stack)));
    return EXIT.failure;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // Exit explicitly: a chat library's stray timer must not keep a finished command alive.
  process.exit(await main(process.argv.slice(2)));
}
