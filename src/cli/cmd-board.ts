import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { LedgerWatcher } from '../agents/ledger-watcher.ts';
import { resolveBoardAccess, type BoardAccess } from '../board/board-access.ts';
import { startBoard, type BoardServer } from '../board/board-server.ts';
import type { SwarmConfig } from '../config/config-schema.ts';
import { ConfigError, describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { PosterOptions } from '../orchestrator/poster-options.ts';
import { cliContext, EXIT, type CliIo } from './cli-context.ts';
import { stopSignal } from './stop-signal.ts';
import { openLedger } from './swarm.ts';

/** `chat-swarm board --help`. */
export const BOARD_USAGE = `chat-swarm board [--port N] [--host ADDR] [--controls] [--db PATH] [--config FILE]
  serves the web board from the ledger file, without an orchestrator, until Ctrl-C (\`up\` serves it too)
  --port N     port to listen on (default: board.port, 7821; 0 picks a free one)
  --host ADDR  address to listen on (default: board.host, 127.0.0.1); any other than loopback needs
               board.tokenEnv naming a variable that holds the access token
  --controls   allow the controls (create, cancel, retry, approve, reject, answer, assign, pause,
               resume) as board.controls says; without it this board is read-only`;

/** A whole number flag in a range, or a usage error that names the flag. */
function portFlag(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 65_535)
    throw new ConfigError(`--port takes a port number 0-65535, got '${raw}'`);
  return n;
}

/** One line saying where the board is, and how to open it when it needs the token (never the token). */
export function boardBanner(server: BoardServer, access: BoardAccess): string {
  const open = access.token ? ` — open it once as ${server.url}?token=<the value of ${access.tokenEnv}>` : '';
  const readOnly =
    access.controls === 'off'
      ? ' (read-only)'
      : !access.token && access.controls === 'token'
        ? ' (read-only: controls need board.tokenEnv, or board.controls "localhost")'
        : '';
  return `board: ${server.url}${readOnly}${open}`;
}

/**
 * Starts the board for `up` beside the orchestrator, on its ledger and watcher. A port that is taken
 * costs a warning, not the swarm: the swarm runs on without its board.
 */
export async function startSwarmBoard(
  access: BoardAccess,
  deps: {
    ledger: Ledger;
    config: SwarmConfig;
    watcher: LedgerWatcher;
    pacing: Partial<PosterOptions>;
    log: Logger;
    onControl: () => void;
  },
): Promise<BoardServer | undefined> {
  try {
    const server = await startBoard({
      ledger: deps.ledger,
      access,
      channel: deps.config.channel,
      pacing: deps.pacing,
      workDir: resolve(deps.config.workDir),
      log: deps.log,
      watcher: deps.watcher,
      onControl: deps.onControl,
    });
    deps.log.info(boardBanner(server, access));
    return server;
  } catch (err) {
    deps.log.warn(
      'the board could not start; the swarm runs without it (set board.port, 0 for any free port, or board.enabled false)',
      {
        host: access.host,
        port: access.port,
        error: describeError(err),
      },
    );
    return undefined;
  }
}

/** `chat-swarm board`: the web board on a ledger file, read-only unless `--controls`. */
export async function runBoard(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      db: { type: 'string' },
      config: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      controls: { type: 'boolean' },
    },
    strict: true,
  });
  const ctx = cliContext(values, io);
  const port = portFlag(values.port);
  const access = resolveBoardAccess(
    values.host !== undefined ? { ...ctx.config.board, host: values.host } : ctx.config.board,
    io.env,
    { ...(port !== undefined ? { port } : {}), readOnly: values.controls !== true },
  );
  if (!existsSync(ctx.dbPath))
    throw new ConfigError(
      `no ledger at ${resolve(ctx.dbPath)}; point --db (or SWARM_DB) at the swarm's ledger`,
    );
  const ledger = openLedger(ctx.config, ctx.dbPath, io.env);
  try {
    // A keyed ledger refuses writes without its key: say so now, not at the first control.
    if (access.controls !== 'off') ledger.assertCanWrite();
    const server = await startBoard({
      ledger,
      access,
      channel: ctx.config.channel,
      workDir: resolve(ctx.config.workDir),
      log: ctx.log,
    });
    io.out(boardBanner(server, access));
    await stopSignal();
    await server.close();
    return EXIT.ok;
  } finally {
    ledger.close();
  }
}
