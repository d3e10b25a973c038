import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { TaskRefSchema } from '../commands/command-types.ts';
import { statusUsage } from '../commands/usage-view.ts';
import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { PosterOptions } from '../orchestrator/poster-options.ts';
import { attachmentDisposition, openArtifact } from './artifact-file.ts';
import type { AuditCache } from './audit-cache.ts';
import type { BoardAccess } from './board-access.ts';
import type { BoardAsset } from './board-assets.ts';
import { boardCommandSchema, runBoardCommand } from './board-controls.ts';
import { boardGuard, refuseUnsafe, SECURITY_HEADERS, type BoardEnv } from './board-guard.ts';
import type { BoardQueries } from './board-queries.ts';
import type { BoardSessions } from './board-session.ts';
import type { BoardStream } from './board-stream.ts';
import { COST_DAYS, costHistory, MAX_COST_DAYS } from './board-usage.ts';
import type { ChatLinkTarget } from './chat-link.ts';
import { mirrorHealth } from './mirror-health.ts';
import { taskArtifacts, taskDetail } from './task-detail.ts';

/** What the routes work with. */
export interface BoardAppDeps {
  ledger: Ledger;
  queries: BoardQueries;
  stream: BoardStream;
  audit: AuditCache;
  access: BoardAccess;
  sessions: BoardSessions;
  assets: Map<string, BoardAsset>;
  platform: string;
  pacing: Partial<PosterOptions> | undefined;
  link: { target: ChatLinkTarget; channel: string };
  /** Folders artifacts may be served from (the work root's attempt folders and copies). */
  artifactRoots: string[];
  log: Logger;
  /** Called after a control changed the ledger (wakes the poster in the same process). */
  onControl?: () => void;
}

/** Largest control request body: a chat command is at most 20,000 characters. */
export const MAX_BODY_BYTES = 96 * 1024;
/** A page whose unsent events pass this many bytes is dropped; it reconnects and catches up. */
const MAX_CLIENT_BUFFER_BYTES = 4 * 1024 * 1024;

const seqSchema = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** The event number a page has seen: Last-Event-ID on a reconnect, else `?after=`; null when malformed. */
function resumeSeq(c: Context<BoardEnv>, current: number): number | null {
  const raw = c.req.header('last-event-id') ?? c.req.query('after');
  if (raw === undefined || raw === '') return current;
  const parsed = seqSchema.safeParse(raw);
  return parsed.success && /^\d+$/.test(raw.trim()) ? parsed.data : null;
}

/** The board's HTTP routes: the page, its JSON API, the live feed and the controls. */
export function createBoardApp(deps: BoardAppDeps): Hono<BoardEnv> {
  const { ledger, queries, stream, access, sessions, assets, log } = deps;
  const app = new Hono<BoardEnv>();
  app.use('*', boardGuard(access, sessions));

  const sendAsset = (c: Context<BoardEnv>, name: string): Response => {
    const asset = assets.get(name);
    if (!asset) return c.json({ error: 'not found' }, 404);
    if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304, { ETag: asset.etag });
    return c.body(new Uint8Array(asset.body), 200, {
      'Content-Type': asset.type,
      ETag: asset.etag,
      'Cache-Control': 'no-cache',
    });
  };
  app.get('/', (c) => sendAsset(c, 'index.html'));
  app.get('/assets/:name', (c) => sendAsset(c, c.req.param('name')));

  app.get('/api/session', (c) => {
    const caller = c.get('caller');
    return c.json({
      csrf: caller.sessionId !== undefined ? sessions.csrfFor(caller.sessionId) : null,
      controls: caller.canControl,
      controlRefusal: caller.controlRefusal ?? null,
      platform: deps.platform,
    });
  });

  app.get('/api/board', (c) => {
    const snapshot = ledger.core.db
      .transaction(() => {
        stream.poll();
        const agents = queries.agents();
        const ctx = queries.waitingContext(agents);
        return {
          seq: ledger.lastEventSeq(),
          now: ctx.now,
          paused: ctx.swarmPaused,
          platform: deps.platform,
          tasks: queries.allSummaries(ctx),
          agents,
          mirror: mirrorHealth(ledger, deps.platform, deps.pacing),
          usage: statusUsage(ledger, ctx.now),
        };
      })
      .deferred();
    return c.json(snapshot);
  });

  app.get('/api/cost', (c) => {
    const raw = c.req.query('days');
    const days = z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_COST_DAYS)
      .safeParse(raw ?? COST_DAYS);
    if (!days.success || (raw !== undefined && !/^\d+$/.test(raw)))
      return c.json({ error: `days is a whole number from 1 to ${MAX_COST_DAYS}` }, 400);
    const read = ledger.core.db.transaction(() => costHistory(ledger, ledger.core.now(), days.data));
    return c.json(read.deferred());
  });

  app.get('/api/tasks/:id', (c) => {
    const id = TaskRefSchema.safeParse(c.req.param('id'));
    if (!id.success) return c.json({ error: 'not a task id or key' }, 400);
    const detail = taskDetail(ledger, queries, id.data, deps.link);
    return detail ? c.json(detail) : c.json({ error: `no task ${id.data}` }, 404);
  });

  app.get('/api/tasks/:id/artifacts/:seq/:index', async (c) => {
    const id = TaskRefSchema.safeParse(c.req.param('id'));
    const seq = seqSchema.safeParse(c.req.param('seq'));
    const index = z.coerce.number().int().min(0).max(1_000).safeParse(c.req.param('index'));
    if (!id.success || !seq.success || !index.success)
      return c.json({ error: 'malformed artifact address' }, 400);
    const ref = taskArtifacts(ledger, id.data).find((a) => a.seq === seq.data && a.index === index.data);
    if (!ref) return c.json({ error: 'no such artifact' }, 404);
    const opened = await openArtifact(ref, deps.artifactRoots);
    if (!opened.ok) return c.json({ error: `artifact not available: ${opened.reason}` }, opened.status);
    return c.body(new Uint8Array(opened.content), 200, {
      'Content-Type': 'application/octet-stream',
      'Content-Disposition': attachmentDisposition(opened.name),
    });
  });

  app.get('/api/audit', (c) => {
    // `?fresh=1` asks for a new run unless one finished in the last few seconds.
    return c.json(deps.audit.get(c.req.query('fresh') === '1' ? 5_000 : undefined));
  });

  app.get('/api/events', (c) => {
    const after = resumeSeq(c, stream.seq);
    if (after === null) return c.json({ error: 'Last-Event-ID (or after=) must be an event number' }, 400);
    const { incoming, outgoing } = c.env;
    outgoing.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
      Connection: 'keep-alive',
    });
    outgoing.flushHeaders();
    const leave = stream.connect(
      {
        write: (text) => {
          if (outgoing.writableEnded || outgoing.destroyed) return false;
          if (outgoing.writableLength > MAX_CLIENT_BUFFER_BYTES) return false;
          outgoing.write(text);
          return true;
        },
        close: () => outgoing.end(),
      },
      after,
    );
    incoming.once('close', leave);
    outgoing.once('close', leave);
    // The response is already under way on the socket; tell the adapter not to write another.
    return RESPONSE_ALREADY_SENT;
  });

  app.post(
    '/api/command',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => c.json({ error: `request too large (at most ${MAX_BODY_BYTES} bytes)` }, 413),
    }),
    async (c) => {
      const refused = refuseUnsafe(c, sessions);
      if (refused) return refused;
      if (!/^application\/json\b/i.test(c.req.header('content-type') ?? ''))
        return c.json({ error: 'send the command as JSON: {"text": "/approve T-3"}' }, 415);
      let raw: unknown;
      try {
        raw = await c.req.json();
      } catch {
        return c.json({ error: 'malformed JSON' }, 400);
      }
      const body = boardCommandSchema.safeParse(raw);
      if (!body.success)
        return c.json(
          { error: `malformed request: ${z.prettifyError(body.error).replace(/\n/g, ' ')}` },
          400,
        );
      const caller = c.get('caller');
      const result = runBoardCommand(ledger, body.data.text, `board [${caller.ip}]`);
      if (result.status === 200) {
        stream.poll();
        deps.onControl?.();
      }
      return c.json(result.body, result.status);
    },
  );

  app.notFound((c) => c.json({ error: 'not found' }, 404));
  app.onError((err, c) => {
    log.error('board request failed', { path: c.req.path, error: describeError(err) });
    const busy = /SQLITE_BUSY|database is locked/i.test(describeError(err));
    return busy
      ? c.json({ error: 'the ledger is busy; try again' }, 503)
      : c.json({ error: 'internal error (see the swarm log)' }, 500);
  });
  return app;
}
