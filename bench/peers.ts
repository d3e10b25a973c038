import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { benchDir, report } from './bench-util.ts';
import { epochMs, prepare, seedJobs, type Contestant, type Pragmas, type Sync } from './peer-contestants.ts';

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

/** One contestant alone in this process on a fresh, seeded file: jobs (or commits) a second. */
async function singleRun(
  contestant: Contestant,
  sync: Sync,
  jobs: number,
  pagesPerCommit?: number,
): Promise<number> {
  const { dir, remove } = benchDir();
  try {
    const path = join(dir, 'peers.db');
    seedJobs(contestant, path, sync, jobs);
    const p = prepare(contestant, path, sync, {
      agentId: 'peer-0',
      commits: jobs,
      ...(pagesPerCommit === undefined ? {} : { pagesPerCommit }),
    });
    checkPragmas(NAMES[contestant], sync, p.pragmas);
    const startedAt = epochMs();
    const done = await p.run();
    p.close();
    if (done.jobs !== jobs) throw new Error(`${NAMES[contestant]} finished ${done.jobs} of ${jobs} jobs`);
    return jobs / ((done.lastAt - startedAt) / 1000);
  } finally {
    remove();
  }
}

/**
 * Pages (WAL frames) a contestant writes per job, from its own untimed run with checkpoints held off
 * so every frame stays countable: the size of what each commit asks of the disk.
 */
async function pagesPerJob(contestant: Contestant, sync: Sync, jobs: number): Promise<number> {
  const { dir, remove } = benchDir();
  try {
    const path = join(dir, 'peers.db');
    seedJobs(contestant, path, sync, jobs);
    const p = prepare(contestant, path, sync, { agentId: 'peer-0', commits: jobs });
    p.db.pragma('wal_autocheckpoint = 0');
    p.db.pragma('wal_checkpoint(TRUNCATE)');
    const done = await p.run();
    const frames = (p.db.pragma('wal_checkpoint(PASSIVE)') as { log: number }[])[0]!.log;
    p.close();
    return frames / done.jobs;
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
 * ready: jobs a second from the start signal to the last job any of them finished.
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
  const children = Array.from({ length: processes }, (_, i) =>
    spawn(
      process.execPath,
      ['--import', 'tsx', 'bench/processes/peer-worker.ts', contestant, path, sync, `peer-${i}`],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    ),
  );
  try {
    const readers = children.map(lineReader);
    const ready = await Promise.all(readers.map((read) => read()));
    for (const line of ready) {
      if (!line.startsWith('ready ')) throw new Error(`peer worker said ${line}`);
      checkPragmas(NAMES[contestant], sync, JSON.parse(line.slice(6)) as Pragmas);
    }
    const startedAt = epochMs();
    for (const c of children) c.stdin.end('go\n');
    const results = (await Promise.all(readers.map((read) => read()))).map(
      (line) => JSON.parse(line) as { jobs: number; lastAt: number },
    );
    const total = results.reduce((n, r) => n + r.jobs, 0);
    if (total !== jobs) throw new Error(`${NAMES[contestant]}: ${total} of ${jobs} jobs finished`);
    return jobs / ((Math.max(...results.map((r) => r.lastAt)) - startedAt) / 1000);
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(
      children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))),
    );
    remove();
  }
}

/** Runs `run` for each contestant, round after round, reversing the order every other round. */
async function alternate(
  contestants: Contestant[],
  rounds: number,
  run: (c: Contestant) => Promise<number>,
): Promise<Record<Contestant, number[]>> {
  const out = Object.fromEntries(contestants.map((c) => [c, [] as number[]])) as Record<Contestant, number[]>;
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
    report(
      `peers, ${S}: pages written per job (WAL frames, untimed run)`,
      `${NAMES.ours} ${pages.ours.toFixed(1)}; ${NAMES['ours-split']} ${pages['ours-split'].toFixed(1)}; ${NAMES.plainjob} ${pages.plainjob.toFixed(1)}`,
      command,
    );
    // The disk's limit for commits like ours: each rewrites as many pages as one complete-and-claim.
    const sized = Math.max(1, Math.round(pages.ours));
    const single = await alternate(['disk', 'disk-sized', 'ours', 'ours-split', 'plainjob'], rounds, (c) =>
      singleRun(c, sync, jobs, c === 'disk-sized' ? sized : undefined),
    );
    for (const c of ['ours', 'ours-split', 'plainjob', 'disk', 'disk-sized'] as const)
      report(
        `peers, one process, WAL + synchronous=${S} (read back): ${NAMES[c]}${c === 'disk-sized' ? ` (${sized} pages)` : ''}`,
        `${perSecond(spread(single[c]))} ${c.startsWith('disk') ? 'commits' : 'jobs'}, ${rounds} rounds of ${jobs}`,
        command,
      );
    report(
      `peers, one process, ${S}: chat-swarm / plainjob`,
      `complete-and-claim ${times(ratios(single.ours, single.plainjob))}; claim, then complete ${times(ratios(single['ours-split'], single.plainjob))}`,
      command,
    );
    report(
      `peers, one process, ${S}: chat-swarm's commits / the disk's limit`,
      `complete-and-claim (1 commit a job) ${times(ratios(single.ours, single.disk, COMMITS_PER_JOB.ours))}; ` +
        `claim, then complete (2) ${times(ratios(single['ours-split'], single.disk, 2))}; ` +
        `plainjob (2) ${times(ratios(single.plainjob, single.disk, COMMITS_PER_JOB.plainjob))}`,
      command,
    );
    report(
      `peers, one process, ${S}: chat-swarm's commits / the disk's limit for commits of their size (${sized} pages)`,
      `complete-and-claim ${times(ratios(single.ours, single['disk-sized']))}`,
      command,
    );
    if (processes < 1) continue;
    const multi = await alternate(['ours', 'ours-split', 'plainjob'], rounds, (c) =>
      multiRun(c, sync, jobs, processes),
    );
    for (const c of ['ours', 'ours-split', 'plainjob'] as const)
      report(
        `peers, ${processes} processes on one file, ${S}: ${NAMES[c]}`,
        `${perSecond(spread(multi[c]))} jobs, ${rounds} rounds of ${jobs}`,
        command,
      );
    report(
      `peers, ${processes} processes, ${S}: chat-swarm / plainjob`,
      `complete-and-claim ${times(ratios(multi.ours, multi.plainjob))}; claim, then complete ${times(ratios(multi['ours-split'], multi.plainjob))}`,
      command,
    );
  }
}
