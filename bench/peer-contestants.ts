import Database from 'better-sqlite3';
import { better, defineQueue, defineWorker, JobStatus, type Logger, type Queue } from 'plainjob';
import { Ledger } from '../src/ledger/ledger.ts';
import { eventsBehind } from '../src/ledger/outbox-queue.ts';
import { WAL_AUTOCHECKPOINT_PAGES } from '../src/ledger/open-database.ts';

/** The two durability settings every contestant runs at, set and read back on its own connection. */
export type Sync = 'full' | 'normal';

/** What a contestant's connection says it runs with, read back after opening (not what we asked). */
export interface Pragmas {
  journalMode: string;
  synchronous: string;
}

/** One timed run: jobs finished, over the seconds they took, and the connection's pragmas. */
export interface PeerRun {
  jobs: number;
  seconds: number;
  pragmas: Pragmas;
}

/**
 * Contestants of `npm run bench -- peers`: the ledger's two cycles, plainjob, and the bare disk
 * (single-row commits, and commits that write as many pages as one of the ledger's).
 */
export const CONTESTANTS = ['ours', 'ours-split', 'plainjob', 'disk', 'disk-sized'] as const;
export type Contestant = (typeof CONTESTANTS)[number];

/** Milliseconds since the epoch with sub-millisecond precision, comparable across processes. */
export const epochMs = (): number => performance.timeOrigin + performance.now();

const SYNC_NAMES = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];

export function readPragmas(db: Database.Database): Pragmas {
  const sync = db.pragma('synchronous', { simple: true }) as number;
  return {
    journalMode: String(db.pragma('journal_mode', { simple: true })).toUpperCase(),
    synchronous: SYNC_NAMES[sync] ?? String(sync),
  };
}

const quiet: Logger = { error() {}, warn() {}, info() {}, debug() {} };

/** Fills a fresh file with `jobs` queued jobs for the contestant (outside any timing). */
export function seedJobs(contestant: Contestant, path: string, sync: Sync, jobs: number): void {
  if (contestant === 'plainjob') {
    const queue = openPlainjob(path, sync).queue;
    queue.addMany(
      'bench',
      Array.from({ length: jobs }, (_, i) => ({ i })),
    );
    queue.close();
  } else if (contestant === 'disk') {
    const db = openBare(path, sync);
    db.exec('CREATE TABLE IF NOT EXISTS commits (id INTEGER PRIMARY KEY, at INTEGER NOT NULL)');
    db.close();
  } else if (contestant === 'disk-sized') {
    // One table per page a commit is to write, each with one row: updating every row writes that
    // many distinct pages (plus nothing else: no index, no growth).
    const db = openBare(path, sync);
    for (let t = 0; t < MAX_SIZED_PAGES; t++)
      db.exec(
        `CREATE TABLE IF NOT EXISTS p${t} (id INTEGER PRIMARY KEY, v INTEGER); INSERT INTO p${t} VALUES (1, 0)`,
      );
    db.close();
  } else {
    const ledger = Ledger.open(path, { synchronous: sync });
    ledger.transaction(() => {
      for (let i = 0; i < jobs; i++) ledger.createTask({ title: `job ${i}` }, 'bench');
    });
    // The seed's own channel rows are queued here, untimed: a round queues only what its jobs did.
    ledger.outbox.queueEvents();
    ledger.close();
  }
}

function openBare(path: string, sync: Sync): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${sync.toUpperCase()}`);
  db.pragma('busy_timeout = 10000');
  // The ledger's own checkpoint size: the references checkpoint as often as it does.
  db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
  return db;
}

/**
 * plainjob as its README sets it up (`better(new Database(file))`, `defineQueue({ connection })`).
 * defineQueue sets `synchronous = 1` (NORMAL) itself; the setting under test is applied after it,
 * on the same connection, and read back by the caller.
 */
function openPlainjob(path: string, sync: Sync): { db: Database.Database; queue: Queue } {
  const db = new Database(path);
  // The maintenance timer (requeue, cleanup) runs once a minute: never within a run, but unref'd
  // so a child process can exit.
  const queue = defineQueue({ connection: better(db), logger: quiet, maintenanceInterval: 3_600_000 });
  db.pragma(`synchronous = ${sync.toUpperCase()}`);
  db.pragma('busy_timeout = 10000');
  return { db, queue };
}

/** Most pages a `disk-sized` commit can write (tables seeded). */
const MAX_SIZED_PAGES = 64;

/** A contestant opened on a seeded file, ready to start; `run` works until the queue is empty. */
export interface Prepared {
  pragmas: Pragmas;
  /** The contestant's connection (to count the WAL frames it writes; not used in timed runs). */
  db: Database.Database;
  /** Works until no job is left; returns how many this process finished and when the last one ended. */
  run(): Promise<{ jobs: number; lastAt: number }>;
  /**
   * Ours only: queues the channel rows of the events `run` committed (what the orchestrator's poster
   * does in batches, apart from the agents); returns how many events it covered.
   */
  queueRows?(): number;
  close(): void;
}

/**
 * Opens a seeded file for the contestant. `agentId` names the agent (ours) when several processes
 * share one file. The disk contestant makes `commits` single-row commits instead of taking jobs.
 */
export function prepare(
  contestant: Contestant,
  path: string,
  sync: Sync,
  options: { agentId: string; commits: number; pagesPerCommit?: number },
): Prepared {
  switch (contestant) {
    case 'disk':
      return prepareDisk(path, sync, options.commits);
    case 'disk-sized':
      return prepareDiskSized(path, sync, options.commits, options.pagesPerCommit ?? 1);
    case 'plainjob':
      return preparePlainjob(path, sync);
    default:
      return prepareOurs(path, sync, options.agentId, contestant === 'ours');
  }
}

/** A bare loop of single-row commits: the most this disk and SQLite allow at this durability. */
function prepareDisk(path: string, sync: Sync, commits: number): Prepared {
  const db = openBare(path, sync);
  const insert = db.prepare('INSERT INTO commits (at) VALUES (?)');
  return {
    pragmas: readPragmas(db),
    db,
    async run() {
      for (let i = 0; i < commits; i++) insert.run(i);
      return { jobs: commits, lastAt: epochMs() };
    },
    close: () => db.close(),
  };
}

/** Pages of WAL `holdWarmWal` writes: more than any contestant lets its WAL grow before a checkpoint. */
const WARM_WAL_PAGES = WAL_AUTOCHECKPOINT_PAGES + 64;

/**
 * Grows the file's WAL past every contestant's checkpoint size with untimed one-page commits to a
 * table of its own, restarts it, and keeps a connection open (the WAL file is deleted when the last
 * connection closes) until the returned function is called. Every contestant then writes over an
 * existing WAL, as a queue that has been running for a while does: at FULL, a commit that grows the
 * file costs more (its new size is synced too), which would otherwise weigh on whoever ran first in
 * a fresh file, and on none of a long-lived queue's commits.
 */
export function holdWarmWal(path: string, sync: Sync): () => void {
  const db = openBare(path, sync);
  db.exec('CREATE TABLE IF NOT EXISTS bench_warm (id INTEGER PRIMARY KEY, v INTEGER)');
  db.pragma('wal_autocheckpoint = 0');
  const write = db.prepare('INSERT OR REPLACE INTO bench_warm (id, v) VALUES (1, ?)');
  for (let i = 0; i < WARM_WAL_PAGES; i++) write.run(i);
  db.pragma('wal_checkpoint(RESTART)');
  return () => db.close();
}

/**
 * Commits that rewrite `pages` pages on average: what the disk allows for commits the ledger's size.
 * A fractional size (the ledger's 7.2 a job) mixes commits of the two whole sizes around it, spread
 * evenly, so the average is the ledger's and not rounded either way.
 */
function prepareDiskSized(path: string, sync: Sync, commits: number, pages: number): Prepared {
  if (!Number.isFinite(pages) || pages < 1 || Math.ceil(pages) > MAX_SIZED_PAGES)
    throw new Error(`disk-sized: ${pages} pages a commit is outside 1–${MAX_SIZED_PAGES}`);
  const db = openBare(path, sync);
  const whole = Math.floor(pages);
  const updates = Array.from({ length: Math.ceil(pages) }, (_, t) =>
    db.prepare(`UPDATE p${t} SET v = ? WHERE id = 1`),
  );
  const commit = db.transaction((i: number, count: number) => {
    for (let t = 0; t < count; t++) updates[t]!.run(i);
  });
  return {
    pragmas: readPragmas(db),
    db,
    async run() {
      // Commit i writes one page more whenever the fractions owed so far reach a whole page.
      for (let i = 0; i < commits; i++) {
        const extra = Math.floor((i + 1) * (pages - whole)) - Math.floor(i * (pages - whole));
        commit(i + 1, whole + extra);
      }
      return { jobs: commits, lastAt: epochMs() };
    },
    close: () => db.close(),
  };
}

/**
 * chat-swarm's ledger, one job at a time. `combined`: each completion takes the next task in the
 * same transaction (`completeAndClaim`, what the agent runtime does); otherwise claim and complete
 * are separate transactions.
 */
function prepareOurs(path: string, sync: Sync, agentId: string, combined: boolean): Prepared {
  const ledger = Ledger.open(path, { synchronous: sync });
  const agent = { id: agentId, skills: [] as string[] };
  return {
    pragmas: readPragmas(ledger.db),
    db: ledger.db,
    async run() {
      let jobs = 0;
      let lastAt = epochMs();
      let claim = ledger.claimNext(agent);
      while (claim.kind === 'claimed') {
        const ref = { taskId: claim.task.id, attempt: claim.attempt, agentId };
        if (combined) {
          const r = ledger.completeAndClaim(ref, 'ok', agent);
          if (!r.completed.ok) throw new Error(`completion of ${ref.taskId} refused`);
          lastAt = epochMs();
          claim = r.next ?? { kind: 'none' };
        } else {
          if (!ledger.complete(ref, 'ok').ok) throw new Error(`completion of ${ref.taskId} refused`);
          // The job is done here: the claim after the last one finds nothing, and may have slept in
          // SQLite's busy handler first.
          lastAt = epochMs();
          claim = ledger.claimNext(agent);
        }
        jobs++;
      }
      return { jobs, lastAt };
    },
    queueRows: () => {
      const queued = ledger.outbox.queueEvents();
      // The agents queued part of it in their own commits (a long backlog): all of it is queued now.
      const behind = eventsBehind(ledger.core);
      if (behind !== 0) throw new Error(`chat-swarm: ${behind} events left unqueued`);
      return queued;
    },
    close: () => ledger.close(),
  };
}

/**
 * plainjob driven the way its README does: `defineWorker` with an async processor, `start()`,
 * `stop()`. The worker sleeps only when it finds no pending job, so the check that stops it runs
 * between jobs only once the queue looks empty.
 */
function preparePlainjob(path: string, sync: Sync): Prepared {
  const { db, queue } = openPlainjob(path, sync);
  return {
    pragmas: readPragmas(db),
    db,
    async run() {
      let jobs = 0;
      let lastAt = epochMs();
      const worker = defineWorker('bench', async () => {}, {
        queue,
        logger: quiet,
        pollIntervall: 2,
        onCompleted: () => {
          jobs++;
          lastAt = epochMs();
        },
      });
      const stopper = setInterval(() => {
        if (
          queue.countJobs({ status: JobStatus.Pending }) === 0 &&
          queue.countJobs({ status: JobStatus.Processing }) === 0
        )
          void worker.stop();
      }, 2);
      try {
        await worker.start();
      } finally {
        clearInterval(stopper);
      }
      return { jobs, lastAt };
    },
    close: () => queue.close(),
  };
}
