import { createAdaptorServer } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LedgerWatcher } from '../agents/ledger-watcher.ts';
import type { ChannelConfig } from '../config/config-schema.ts';
import type { Logger } from '../core/logger.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { PLATFORM_PACING, type PosterOptions } from '../orchestrator/poster-options.ts';
import { artifactRoots } from './artifact-file.ts';
import { AuditCache } from './audit-cache.ts';
import type { BoardAccess } from './board-access.ts';
import { createBoardApp } from './board-app.ts';
import { loadBoardAssets } from './board-assets.ts';
import { BoardQueries } from './board-queries.ts';
import { BoardSessions } from './board-session.ts';
import { BoardStream, type BoardStreamOptions } from './board-stream.ts';
import { chatLinkTargetOf } from './chat-link.ts';

export interface BoardServerOptions {
  ledger: Ledger;
  access: BoardAccess;
  /** The swarm's channel: its platform (links, message budget) and pacing. */
  channel: ChannelConfig;
  /** The poster's pacing, when known (`up`); else the platform's default. */
  pacing?: Partial<PosterOptions>;
  /** The swarm's work folder: artifacts are served only from its attempt folders and copies. */
  workDir: string;
  log: Logger;
  /** The process's ledger watcher, when it has one; otherwise the board makes its own. */
  watcher?: LedgerWatcher;
  /** Called after a control changed the ledger (`up` wakes its poster). */
  onControl?: () => void;
  stream?: Partial<Pick<BoardStreamOptions, 'pulseMs' | 'maxReplay' | 'batch'>>;
}

/** A running board. */
export interface BoardServer {
  /** Where to open it (without any token). */
  url: string;
  port: number;
  /** Connected live pages. */
  readonly pages: number;
  close(): Promise<void>;
}

/** The URL people open for a bound address. */
function urlOf(host: string, port: number): string {
  const shown =
    host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${port}/`;
}

/**
 * Serves the board on `access.host:access.port` (port 0 picks a free one) until `close()`. Rejects
 * when the address cannot be bound (port in use), with nothing left running.
 */
export async function startBoard(options: BoardServerOptions): Promise<BoardServer> {
  const { ledger, access, log } = options;
  const assets = loadBoardAssets();
  const queries = new BoardQueries(ledger);
  const ownWatcher =
    options.watcher === undefined ? new LedgerWatcher(ledger, { maxPollMs: 100 }) : undefined;
  const platform = options.channel.platform;
  const pacing: Partial<PosterOptions> = options.pacing ?? { ...PLATFORM_PACING[platform] };
  if (options.pacing === undefined)
    for (const [k, v] of Object.entries(options.channel.pacing ?? {}))
      if (v !== undefined) (pacing as Record<string, number>)[k] = v;
  const stream = new BoardStream(ledger, queries, options.watcher ?? ownWatcher!, {
    ...options.stream,
    platform,
    pacing,
    log,
  });
  const app = createBoardApp({
    ledger,
    queries,
    stream,
    audit: new AuditCache(ledger),
    access,
    sessions: new BoardSessions(access.token),
    assets,
    platform,
    pacing,
    link: { target: chatLinkTargetOf(options.channel), channel: 'main' },
    artifactRoots: artifactRoots(options.workDir),
    log,
    ...(options.onControl ? { onControl: options.onControl } : {}),
  });
  const server = createAdaptorServer({ fetch: app.fetch, hostname: access.host }) as Server;
  server.headersTimeout = 20_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(access.port, access.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => log.error('board server error', { error: err.message }));
  stream.start();
  const port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  return {
    url: urlOf(access.host, port),
    port,
    get pages() {
      return stream.size;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        stream.stop();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
