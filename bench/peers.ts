import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { benchDir, report } from './bench-util.ts';
import { queueingAfter } from './peer-clock.ts';
import {
  epochMs,
  holdWarmWal,
  prepare,
  seedJobs,
  type Contestant,
  type Pragmas,
  type Sync,
} from './peer-contestants.ts';

/**
 * Commits each contestant makes per job. Ours: one (`completeAndClaim` finishes a task and takes
 * the next together; the first claim is one more for the whole run) or two (claim, then complete).
 * plainjob: two (its claim transaction, then `markJobAsDone` on its own); its per-loop scheduled-job
 * transaction writes nothing, so it commits nothing to the WAL.
 */
const COMMITS_PER_JOB: Record<Contestant, number> = {
  ours: 1,
  'ours-split': 2,
  plainjob: 2,
  disk: 1,
  'disk-sized': 1,
};

const NAMES: Record<Contestant, string> = {
  ours: 'chat-swarm (complete-and-claim)',
  'ours-split': 'chat-swarm (claim, then complete)',
  plainjob: 'plainjob 0.0.14',
  disk: 'disk: single-row commits',
  'disk-sized': 'disk: commits the size of the ledger’s',
};

interface Spread {
  median: number;
  min: number;
  max: number;
}

function spread(xs: number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s.at(-1)! };
}

const perSecond = (x: Spread): string =>
  `median ${x.median.toFixed(0)}/s (${x.min.toFixed(0)}–${x.max.toFixed(0)})`;
const times = (x: Spread): string => `${x.median.toFixed(2)}× (${x.min.toFixed(2)}–${x.max.toFixed(2)})`;

/** Fails the run when a connection does not run with the pragmas every contestant is meant to share. */
function checkPragmas(who: string, sync: Sync, p: Pragmas): void {
  if (p.journalMode !== 'WAL' || p.synchronous !== sync.toUpperCase())
    throw new Error(
      `${who} runs with journal_mode=${p.journalMode} synchronous=${p.synchronous}, not WAL/${sync.toUpperCase()}`,
    );
}

/**
 * Jobs (or commits) a second. `rate`: the contestant's own loop. `total`: for ours, with the channel
 * rows of those jobs queued afterwards, as the orchestrator does apart from the agents (the same as
 * `rate` for the others, which have no channel to feed).
 */
interface Rates {
  rate: number;
  total: number;
}

/** One contestant alone in this process on a fresh, seeded file. */
async function singleRun(
  contestant: Contestant,
  sync: Sync,
  jobs: number,
  pagesPerCommit?: number,
): Promise<Rates> {
  const { dir, remove } = benchDir();
  try {
    const path = join(dir, 'peers.db');
    seedJobs(contestant, path, sync, jobs);
    const release = holdWarmWal(path, sync);
    const p = prepare(contestant, path, sync, {
      agentId: 'peer-0',
      commits: jobs,
      ...(pagesPerCommit === undefined ? {} : { pagesPerCommit }),
    });
    checkPragmas(NAMES[contestant], sync, p.pragmas);
    const startedAt = epochMs();
    const done = await p.run();
    const queued = p.queueRows?.();
    const queuedAt = epochMs();
    p.close();
    release();
    if (done.jobs !== jobs) throw new Error(`${NAMES[contestant]} finished ${done.jobs} of ${jobs} jobs`);
    const rate = jobs / ((done.lastAt - startedAt) / 1000);
    if (queued === undefined) return { rate, total: rate };
    return { rate, total: jobs / ((queuedAt - startedAt) / 1000) };
  } finally {
    remove();
  }
}

/**
 * Pages (WAL frames) a contestant writes per job, from its own untimed run with checkpoints held off
 * so every frame stays countable: the size of what each commit asks of the disk.
 */
async function pagesPerJob(
  contestant: Contestant,
  sync: Sync,
  jobs: number,
): Promise<{ pages: number; queuePages: number }> {
  const { dir, remove } = benchDir();
  try {
    const path = join(dir, 'peers.db');
    seedJobs(contestant, path, sync, jobs);
    const p = prepare(contestant, path, sync, { agentId: 'peer-0', commits: jobs });
    p.db.pragma('wal_autocheckpoint = 0');
    p.db.pragma('wal_checkpoint(TRUNCATE)');
    const done = await p.run();
    // Frames from the WAL's size: with no checkpoint the WAL only grows (a header, then frames).
    const pageSize = p.db.pragma('page_size', { simple: true }) as number;
    const walFrames = (): number => (statSync(`${path}-wal`).size - 32) / (24 + pageSize);
    const frames = walFrames();
    p.queueRows?.();
    const queueFrames = walFrames() - frames;
    p.close();
    return { pages: frames / done.jobs, queuePages: queueFrames / done.jobs };
  } finally {
    remove();
  }
}

function lineReader(child: { stdout: Readable }): () => Promise<string> {
  const lines = createInterface({ input: child.stdout });
  const queued: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => {
    const w = waiting.shift();
    if (w) w(line);
    else queued.push(line);
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const q = queued.shift();
      if (q !== undefined) return resolve(q);
      const timer = setTimeout(() => reject(new Error('peer worker did not answer within 120 s')), 120_000);
      waiting.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
}

/**
 * `processes` worker processes of one contestant on one seeded file, started together once all are
 * ready: jobs a second from the start signal to the last job any of them finished. For ours, one
 * more process queues the channel rows meanwhile, as the orchestrator's poster does, and the time it
 * spent queueing after the last job is added.
 */
async function multiRun(
  contestant: Contestant,
  sync: Sync,
  jobs: number,
  processes: number,
): Promise<number> {
  const { dir, remove } = benchDir();
  const path = join(dir, 'peers.db');
  seedJobs(contestant, path, sync, jobs);
  const release = holdWarmWal(path, sync);
  const node = (args: string[]) =>
    spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const children = Array.from({ length: processes }, (_, i) =>
    node(['bench/processes/peer-worker.ts', contestant, path, sync, `peer-${i}`]),
  );
  const queuer = contestant.startsWith('ours')
    ? node(['bench/processes/peer-queuer.ts', path, sync])
    : undefined;
  const all = queuer ? [...children, queuer] : children;
  try {
    const readers = children.map(lineReader);
    const readQueuer = queuer && lineReader(queuer);
    const ready = await Promise.all(readers.map((read) => read()));
    for (const line of ready) {
      if (!line.startsWith('ready ')) throw new Error(`peer worker said ${line}`);
      checkPragmas(NAMES[contestant], sync, JSON.parse(line.slice(6)) as Pragmas);
    }
    if (readQueuer && (await readQueuer()) !== 'ready') throw new Error('peer queuer did not start');
    const startedAt = epochMs();
    queuer?.stdin.write('go\n');
    for (const c of children) c.stdin.write('go\n');
    const results = (await Promise.all(readers.map((read) => read()))).map(
      (line) => JSON.parse(line) as { jobs: number; lastAt: number },
    );
    const total = results.reduce((n, r) => n + r.jobs, 0);
    if (total !== jobs) throw new Error(`${NAMES[contestant]}: ${total} of ${jobs} jobs finished`);
    let endAt = Math.max(...results.map((r) => r.lastAt));
    if (queuer && readQueuer) {
      queuer.stdin.end('stop\n');
      const q = JSON.parse(await readQueuer()) as { behind: number; spans: [number, number][] };
      if (q.behind !== 0) throw new Error(`${NAMES[contestant]}: ${q.behind} events left unqueued`);
      endAt += queueingAfter(endAt, q.spans);
    }
    return jobs / ((endAt - startedAt) / 1000);
  } finally {
    // The clock has stopped: the workers may exit now (an ended stdin lets them).
    for (const c of children) c.stdin.end();
    for (const c of all) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(
      all.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))),
    );
    release();
    remove();
  }
}

/** Runs `run` for each contestant, round after round, reversing the order every other round. */
async function alternate<T>(
  contestants: Contestant[],
  rounds: number,
  run: (c: Contestant) => Promise<T>,
): Promise<Record<Contestant, T[]>> {
  const out = Object.fromEntries(contestants.map((c) => [c, [] as T[]])) as Record<Contestant, T[]>;
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? contestants : [...contestants].reverse();
    for (const c of order) out[c].push(await run(c));
  }
  return out;
}

/** Per-round ratio of two contestants' figures (each round's pair ran moments apart). */
const ratios = (a: number[], b: number[], scale = 1): Spread => spread(a.map((x, i) => (x * scale) / b[i]!));

/**
 * chat-swarm's ledger beside plainjob, a small SQLite job queue on the same better-sqlite3, and
 * beside the disk's own commit rate: one job at a time, claim then complete, at synchronous FULL and
 * NORMAL (WAL for all, read back from each connection); then `processes` processes on one file
 * (none with `--processes 0`).
 *
 * Ours commits its events only; the channel rows for them are queued apart (the orchestrator's
 * poster does it in batches). Single-process figures come twice: the agents' loop alone, and with
 * the queueing of its rows added to the same clock. Multi-process runs always include a process that
 * queues the rows meanwhile; the time it spends queueing after the last job is added (as if it
 * queued the moment the last events committed: the poster's idle poll is left out).
 */
export async function runPeersBench(jobs: number, rounds: number, processes: number): Promise<void> {
  const command = `npm run bench -- peers --tasks ${jobs} --rounds ${rounds} --processes ${processes}`;
  for (const sync of ['full', 'normal'] as const) {
    const S = sync.toUpperCase();
    const pages = {
      ours: await pagesPerJob('ours', sync, jobs),
      'ours-split': await pagesPerJob('ours-split', sync, jobs),
      plainjob: await pagesPerJob('plainjob', sync, jobs),
    };
    const queued = (c: 'ours' | 'ours-split'): string =>
      ` (+ ${pages[c].queuePages.toFixed(1)} queueing its channel rows in batches)`;
    report(
      `peers, ${S}: pages written per job (WAL frames, untimed run)`,
      `${NAMES.ours} ${pages.ours.pages.toFixed(1)}${queued('ours')}; ${NAMES['ours-split']} ${pages['ours-split'].pages.toFixed(1)}${queued('ours-split')}; ${NAMES.plainjob} ${pages.plainjob.pages.toFixed(1)}`,
      command,
    );
    // The disk's limit for commits like ours: they rewrite as many pages as one complete-and-claim
    // does on average (to a tenth of a page).
    const sized = Math.max(1, Math.round(pages.ours.pages * 10) / 10);
    const runs = await alternate(['disk', 'disk-sized', 'ours', 'ours-split', 'plainjob'], rounds, (c) =>
      singleRun(c, sync, jobs, c === 'disk-sized' ? sized : undefined),
    );
    const rate = (c: Contestant): number[] => runs[c].map((r) => r.rate);
    const total = (c: Contestant): number[] => runs[c].map((r) => r.total);
    for (const c of ['ours', 'ours-split', 'plainjob', 'disk', 'disk-sized'] as const)
      report(
        `peers, one process, WAL + synchronous=${S} (read back): ${NAMES[c]}${c === 'disk-sized' ? ` (${sized} pages)` : ''}`,
        `${perSecond(spread(rate(c)))} ${c.startsWith('disk') ? 'commits' : 'jobs'}` +
          (c.startsWith('ours') ? `; with its channel rows queued: ${perSecond(spread(total(c)))}` : '') +
          `, ${rounds} rounds of ${jobs}`,
        command,
      );
    report(
      `peers, one process, ${S}: chat-swarm / plainjob`,
      `complete-and-claim ${times(ratios(rate('ours'), rate('plainjob')))}, with its channel rows queued ${times(ratios(total('ours'), rate('plainjob')))}; ` +
        `claim, then complete ${times(ratios(rate('ours-split'), rate('plainjob')))}, with its rows queued ${times(ratios(total('ours-split'), rate('plainjob')))}`,
      command,
    );
    report(
      `peers, one process, ${S}: chat-swarm's commits / the disk's limit`,
      `complete-and-claim (1 commit a job) ${times(ratios(rate('ours'), rate('disk'), COMMITS_PER_JOB.ours))}; ` +
        `claim, then complete (2) ${times(ratios(rate('ours-split'), rate('disk'), 2))}; ` +
        `plainjob (2) ${times(ratios(rate('plainjob'), rate('disk'), COMMITS_PER_JOB.plainjob))}`,
      command,
    );
    report(
      `peers, one process, ${S}: chat-swarm's commits / the disk's limit for commits of their size (${sized} pages)`,
      `complete-and-claim ${times(ratios(rate('ours'), rate('disk-sized')))}`,
      command,
    );
    if (processes < 1) continue;
    const multi = await alternate(['ours', 'ours-split', 'plainjob'], rounds, (c) =>
      multiRun(c, sync, jobs, processes),
    );
    for (const c of ['ours', 'ours-split', 'plainjob'] as const)
      report(
        `peers, ${processes} processes on one file, ${S}: ${NAMES[c]}${c.startsWith('ours') ? ' + one queueing its channel rows' : ''}`,
        `${perSecond(spread(multi[c]))} jobs, ${rounds} rounds of ${jobs}`,
        command,
      );
    report(
      `peers, ${processes} processes, ${S}: chat-swarm (with its rows queued) / plainjob`,
      `complete-and-claim ${times(ratios(multi.ours, multi.plainjob))}; claim, then complete ${times(ratios(multi['ours-split'], multi.plainjob))}`,
      command,
    );
  }
}
