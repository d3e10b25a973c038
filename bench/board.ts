import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ledger } from '../src/ledger/ledger.ts';
import { launchChromium } from '../test/board/board-browser.ts';
import { benchDir, percentile, report } from './bench-util.ts';

const CMD = 'npm run bench -- board';
const STATES_MIX = ['done', 'done', 'done', 'failed', 'cancelled', 'queued', 'queued', 'review'] as const;

/** Fills a ledger with `count` tasks in a realistic mix of states, in one transaction. */
function fillLedger(ledger: Ledger, count: number): void {
  const skills = ['design', 'code', 'docs', 'review', 'data'];
  ledger.transaction(() => {
    for (let i = 0; i < count; i++) {
      const want = STATES_MIX[i % STATES_MIX.length]!;
      const { task } = ledger.createTask(
        {
          title: `Task number ${i}: a title of ordinary length for a card`,
          body: 'Some body text.\n'.repeat(5),
          skills: [skills[i % skills.length]!],
          priority: i % 10,
          review: want === 'review',
        },
        'bench',
      );
      if (want === 'queued') continue;
      if (want === 'cancelled') {
        ledger.cancel(task.id, 'bench');
        continue;
      }
      const claim = ledger.claimTask(task.id, { id: `agent-${i % 7}`, skills });
      if (claim.kind !== 'claimed') throw new Error(`bench: could not claim ${task.id}`);
      const ref = { taskId: task.id, attempt: claim.attempt, agentId: `agent-${i % 7}` };
      if (want === 'failed') ledger.fail(ref, 'bench failure');
      else ledger.complete(ref, `result of ${task.id}`);
    }
  });
}

/** CPU time (user + system, ms) a process has used, from /proc. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

/** Starts `chat-swarm board` on the ledger in its own process; resolves with its URL. */
async function startBoardProcess(db: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'board', '--db', db, '--port', '0'],
    { cwd: process.cwd(), env: { ...process.env }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('bench: the board did not start')), 30_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /board: (http:\/\/\S+\/)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
  });
  return { child, url };
}

/** Opens `clients` live feeds that read and discard; returns a function that closes them. */
async function openFeeds(url: string, clients: number): Promise<() => void> {
  const abort = new AbortController();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      const res = await fetch(`${url}api/events`, { signal: abort.signal });
      const reader = res.body!.getReader();
      void (async () => {
        try {
          for (;;) if ((await reader.read()).done) return;
        } catch {
          // Closed by the bench.
        }
      })();
    }),
  );
  return () => abort.abort();
}

/**
 * The board under load: time to first render with `tasks` tasks in the ledger (real Chromium), the
 * server's CPU per ledger event with `clients` pages connected, and event-to-page latency.
 */
export async function runBoardBench(tasks: number, clients: number, samples = 100): Promise<void> {
  const { dir, remove } = benchDir();
  const db = join(dir, 'swarm.db');
  const ledger = Ledger.open(db, { synchronous: 'normal' });
  let board: ChildProcess | undefined;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let closeFeeds = (): void => undefined;
  try {
    const filled = Date.now();
    fillLedger(ledger, tasks);
    process.stdout.write(`board bench: ${tasks} tasks written in ${Date.now() - filled} ms\n`);
    const started = await startBoardProcess(db);
    board = started.child;
    const url = started.url;
    browser = await launchChromium();
    const page = await browser.context.newPage();

    // Time to first render: navigation until the cards are on screen and the feed is live.
    const renders: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      await page.goto(url);
      await page.waitForSelector('.card', { timeout: 60_000 });
      await page.waitForSelector('#live.on', { timeout: 60_000 });
      renders.push(Date.now() - t0);
    }
    renders.sort((a, b) => a - b);
    report(
      `board first render, ${tasks} tasks`,
      `median ${renders[1]} ms (of ${renders.join(', ')} ms)`,
      `${CMD} --tasks ${tasks}`,
    );

    // Server CPU per event with `clients` pages connected (the bench's own feeds read and discard).
    closeFeeds = await openFeeds(url, clients);
    await new Promise((r) => setTimeout(r, 2_500));
    const pid = board.pid!;
    const idle0 = cpuMs(pid);
    await new Promise((r) => setTimeout(r, 2_000));
    const idlePerMs = (cpuMs(pid) - idle0) / 2_000;
    const events = 400;
    const busy0 = cpuMs(pid);
    const t0 = Date.now();
    for (let i = 0; i < events; i++) {
      ledger.createTask({ title: `cpu ${i}`, priority: 0 }, 'bench');
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 25));
    }
    await new Promise((r) => setTimeout(r, 1_500));
    const busyMs = cpuMs(pid) - busy0 - idlePerMs * (Date.now() - t0);
    report(
      `board server CPU per event, ${clients} pages connected`,
      `${(busyMs / events).toFixed(2)} ms (${events} events; idle ${(idlePerMs * 1000).toFixed(0)} ms/s subtracted)`,
      `${CMD} --clients ${clients}`,
    );

    // Event-to-page latency: a task written by this process until its card is on the page.
    await page.goto(url);
    await page.waitForSelector('#live.on', { timeout: 60_000 });
    // As a person watching for them would: filtered, so the new cards are not below the fold.
    await page.fill('#f-text', 'latency');
    await page.evaluate(`(() => {
      window.__seen = {};
      new MutationObserver(() => {
        for (const c of document.querySelectorAll('.column[data-state="queued"] .card[data-task^="LAT-"]'))
          window.__seen[c.dataset.task] ??= Date.now();
      }).observe(document.getElementById('board'), { childList: true, subtree: true });
    })()`);
    const written = new Map<string, number>();
    for (let i = 0; i < samples; i++) {
      const key = `LAT-${i}`;
      written.set(key, Date.now());
      ledger.createTask({ title: `latency ${i}`, key, priority: 9 }, 'bench');
      await new Promise((r) => setTimeout(r, 50));
    }
    const deadline = Date.now() + 10_000;
    let seen: Record<string, number> = {};
    while (Date.now() < deadline) {
      seen = await page.evaluate<Record<string, number>>('window.__seen');
      if (Object.keys(seen).length >= samples) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const latencies = [...written].map(([key, at]) => (seen[key] ?? Infinity) - at).sort((a, b) => a - b);
    const missing = latencies.filter((l) => l === Infinity).length;
    report(
      `board event-to-page latency (${samples} tasks, ${clients} other pages, ${tasks} tasks on the board)`,
      `p50 ${percentile(latencies, 50)} ms, p95 ${percentile(latencies, 95)} ms, max ${latencies.at(-1)} ms` +
        `${missing ? `, ${missing} never shown` : ''} (target p95 < 1000 ms)`,
      `${CMD} --samples ${samples}`,
    );
  } finally {
    closeFeeds();
    await browser?.close();
    board?.kill('SIGINT');
    ledger.close();
    remove();
  }
}
