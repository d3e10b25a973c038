import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryChannel } from '../../src/chat/memory-channel.ts';
import { Ledger } from '../../src/ledger/ledger.ts';
import { collect, spawnCli } from '../support/spawn-ts.ts';
import { createTestOrchestrator } from '../support/test-orchestrator.ts';
import { tempDir, tempLedger } from '../support/temp-ledger.ts';
import { waitFor } from '../support/wait-for.ts';
import { launchChromium } from './board-browser.ts';
import { testBoard, TOKEN } from './board-fixture.ts';
import { spendingLedger } from './spending-ledger.ts';

let browser: Awaited<ReturnType<typeof launchChromium>>;
let context: BrowserContext;

beforeAll(async () => {
  browser = await launchChromium();
  context = browser.context;
}, 90_000);

afterAll(async () => {
  await browser?.close();
});

/** A page that records every live event it receives and any script error. */
async function openPage(url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // Records the id of every live event the page receives (the test's own probe, not the board's).
  await page.addInitScript({
    content: `window.__ids = [];
      const Original = window.EventSource;
      window.EventSource = class extends Original {
        constructor(url, init) {
          super(url, init);
          this.addEventListener('change', (m) => window.__ids.push(Number(m.lastEventId)));
        }
      };`,
  });
  await page.goto(url);
  await page.waitForSelector('#live.on');
  // A reload would drop this; its survival proves the page updated in place.
  await page.evaluate('window.__noReload = true');
  return { page, errors };
}

const card = (id: string, state?: string) =>
  `${state ? `.column[data-state="${state}"] ` : ''}.card[data-task="${id}"]`;

/** A config whose work folder is a temporary one (agents in child processes read it). */
function tempConfig(): string {
  const dir = tempDir();
  const file = join(dir, 'chat-swarm.json');
  writeFileSync(file, JSON.stringify({ workDir: join(dir, 'work'), ledger: { synchronous: 'normal' } }));
  return file;
}

describe('the board in a real Chromium', () => {
  it('lists the demo’s tasks (and saves a screenshot)', async () => {
    const db = join(tempDir(), 'demo.db');
    const demo = await collect(spawnCli(['demo', '--db', db]));
    expect(demo.code, demo.stderr).toBe(0);
    const ledger = Ledger.open(db);
    try {
      const tasks = ledger.listTasks();
      expect(tasks.length).toBeGreaterThanOrEqual(5);
      const board = await testBoard(ledger);
      const { page, errors } = await openPage(board.url);
      for (const t of tasks) {
        const shown = page.locator(card(t.id, t.status));
        await shown.waitFor();
        expect(await shown.locator('.title').textContent()).toBe(t.title);
      }
      expect(await page.locator('#counts').textContent()).toContain(`${tasks.length} done`);
      // The demo's workers report usage: each card shows what its task cost, the cost panel the day's.
      for (const t of tasks)
        expect(await page.locator(`${card(t.id)} .cost`).textContent()).toMatch(
          /^💰 \$0\.\d+ · [\d.k]+ in \/ [\d.k]+ out$/,
        );
      const newestDay = page.locator('#cost details').first();
      await newestDay.waitFor();
      expect(await page.locator('#cost details').count()).toBe(14);
      expect(await newestDay.locator('summary .what').textContent()).toMatch(/^\$0\.\d+ · /);
      await newestDay.locator('summary').click(); // opens on each agent's share, for the screenshot
      await newestDay.locator('li', { hasText: 'coder-001: $' }).waitFor();
      mkdirSync('test-artifacts', { recursive: true });
      await page.screenshot({ path: 'test-artifacts/board.png', fullPage: true });
      await page.locator(card(tasks[0]!.id)).click();
      await page.waitForSelector('#task-view:not([hidden]) .timeline li');
      await page.screenshot({ path: 'test-artifacts/board-task.png' });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.screenshot({ path: 'test-artifacts/board-phone.png' });
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      ledger.close();
    }
  }, 120_000);

  it('shows a task another process creates, and moves it when an agent in another process finishes it', async () => {
    const config = tempConfig();
    const db = join(tempDir(), 'swarm.db');
    const ledger = Ledger.open(db);
    try {
      const board = await testBoard(ledger);
      const { page, errors } = await openPage(board.url);
      const added = await collect(
        spawnCli(['task', 'add', 'made elsewhere', '--db', db, '--config', config]),
      );
      expect(added.code, added.stderr).toBe(0);
      // Bounded wait, not a timing: the bench measures the latency (`npm run bench -- board`).
      await page.locator(card('T-1', 'queued')).waitFor({ timeout: 10_000 });
      expect(await page.locator(card('T-1')).locator('.why').textContent()).toBe('no online agent');

      const agent = await collect(
        spawnCli([
          'agent',
          'worker-1',
          '--command',
          'echo finished',
          '--until-idle',
          '--db',
          db,
          '--config',
          config,
        ]),
      );
      expect(agent.code, agent.stderr).toBe(0);
      await page.locator(card('T-1', 'done')).waitFor({ timeout: 10_000 });
      expect(await page.locator(card('T-1', 'queued')).count()).toBe(0);
      expect(await page.evaluate('window.__noReload')).toBe(true);
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      ledger.close();
    }
  }, 90_000);

  it('approves and rejects from the board: the ledger changes and the chat shows it', async () => {
    const ledger = tempLedger();
    const channel = createMemoryChannel();
    const orchestrator = createTestOrchestrator(ledger, channel);
    await orchestrator.start();
    try {
      for (const title of ['draft the post', 'draft the mail']) {
        ledger.createTask({ title, review: true }, 'test');
        const claim = ledger.claimNext({ id: 'writer', skills: [] });
        if (claim.kind !== 'claimed') throw new Error('no claim');
        ledger.complete(
          { taskId: claim.task.id, attempt: claim.attempt, agentId: 'writer' },
          `text of ${title}`,
        );
      }
      const board = await testBoard(
        ledger,
        { token: TOKEN, tokenEnv: 'BOARD_TOKEN' },
        {
          onControl: () => orchestrator.poster.kick(),
        },
      );
      const { page, errors } = await openPage(`${board.url}?token=${TOKEN}`);
      expect(page.url()).not.toContain(TOKEN);

      await page.locator(card('T-1', 'review')).click();
      await page.locator('#task-view button[data-control="approve"]').click();
      await waitFor('T-1 approved', () => ledger.getTask('T-1')?.status === 'done', 10_000);
      await page.locator(card('T-1', 'done')).waitFor();

      await page.goto(`${board.url}#task/T-2`);
      await page.locator('#task-title', { hasText: 'draft the mail' }).waitFor();
      await page.locator('#task-view form[data-control="reject"] textarea').fill('shorter, please');
      await page.locator('#task-view form[data-control="reject"] button').click();
      await waitFor('T-2 rejected', () => ledger.getTask('T-2')?.status === 'queued', 10_000).catch(
        async (err: unknown) => {
          throw new Error(`${String(err)}; the page says: ${await page.locator('#notice').textContent()}`);
        },
      );
      expect(ledger.getTask('T-2')?.notes.join('\n') ?? '').toContain('shorter, please');
      // The create form writes the chat's /task command; a title with `name=value` in it stays whole.
      await page.locator('#task-close').click();
      await page.locator('#create input[name=title]').fill('Fix key=value parsing');
      await page.locator('#create input[name=skills]').fill('docs, code');
      await page.locator('#create button[type=submit]').click();
      const created = await waitFor('the task from the form', () =>
        ledger.listTasks().find((t) => t.title === 'Fix key=value parsing'),
      );
      expect(created).toMatchObject({ skills: ['docs', 'code'], createdBy: 'board [127.0.0.1]' });
      await page.locator(card(created.id, 'queued')).waitFor();
      const actors = ledger.events().filter((e) => e.type === 'task_approved' || e.type === 'task_rejected');
      expect(actors.map((e) => e.actor)).toEqual(['board [127.0.0.1]', 'board [127.0.0.1]']);

      // Mirrored to the chat by the normal outbox.
      await waitFor(
        'the chat to show both',
        () => {
          const texts = channel.transcript().map((m) => m.text);
          return (
            texts.some((t) => t.includes('approved by board')) &&
            texts.some((t) => t.includes('rejected by board: shorter, please'))
          );
        },
        10_000,
      ).catch((err: unknown) => {
        throw new Error(`${String(err)}: ${JSON.stringify(channel.transcript().map((m) => m.text))}`);
      });
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await orchestrator.stop();
    }
  }, 60_000);

  it('refuses the controls without the token (401/403) and changes nothing', async () => {
    const ledger = tempLedger();
    ledger.createTask({ title: 'stay queued' }, 'test');
    const before = ledger.lastEventSeq();
    await context.clearCookies();
    const tokenBoard = await testBoard(ledger, { token: TOKEN, tokenEnv: 'BOARD_TOKEN' });
    const page = await context.newPage();
    const response = await page.goto(tokenBoard.url);
    expect(response?.status()).toBe(401);
    const post = (csrf: string | null) =>
      page.evaluate(async (token) => {
        const res = await fetch('/api/command', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': token ?? '' },
          body: JSON.stringify({ text: '/cancel T-1' }),
        });
        return res.status;
      }, csrf);
    expect(await post(null)).toBe(401);

    // A loopback board without a token shows the swarm but no controls, and refuses them.
    const open = await testBoard(ledger);
    const { page: view } = await openPage(open.url);
    await view.locator(card('T-1', 'queued')).waitFor();
    expect(await view.locator('#create-panel').isHidden()).toBe(true);
    await view.locator(card('T-1')).click();
    await view.waitForSelector('#task-view:not([hidden])');
    expect(await view.locator('#task-view button[data-control]').count()).toBe(0);
    const status = await view.evaluate(async () => {
      const s = (await (await fetch('/api/session')).json()) as { csrf: string };
      const res = await fetch('/api/command', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrf },
        body: JSON.stringify({ text: '/cancel T-1' }),
      });
      return res.status;
    });
    expect(status).toBe(403);
    expect(ledger.lastEventSeq()).toBe(before);
    expect(ledger.getTask('T-1')?.status).toBe('queued');
    await page.close();
    await view.close();
  }, 60_000);

  it('shows <script> and <img onerror> in titles, bodies and results as text, never runs them', async () => {
    const ledger = tempLedger();
    const payloads = [
      '<script>window.__xss = "script"</script>',
      '<img src=x onerror="window.__xss = \'img\'">',
      '"><svg onload="window.__xss=\'svg\'">',
    ];
    for (const p of payloads) ledger.createTask({ title: p, body: p, skills: [] }, p);
    const claim = ledger.claimNext({ id: 'writer', skills: [] });
    if (claim.kind !== 'claimed') throw new Error('no claim');
    ledger.complete({ taskId: 'T-1', attempt: claim.attempt, agentId: 'writer' }, payloads[1]!);
    const board = await testBoard(ledger);
    const { page, errors } = await openPage(board.url);
    for (const [i, p] of payloads.entries()) {
      expect(
        await page
          .locator(card(`T-${i + 1}`))
          .locator('.title')
          .textContent(),
      ).toBe(p);
    }
    for (const id of ['T-1', 'T-2', 'T-3']) {
      await page.goto(`${board.url}#task/${id}`);
      await page.waitForSelector('#task-view:not([hidden]) .timeline li');
    }
    await page.goto(`${board.url}#task/T-1`);
    await page.waitForSelector('#task-view:not([hidden]) pre.result');
    expect(await page.locator('#task-view pre.result').textContent()).toBe(payloads[1]);
    expect(await page.evaluate('window.__xss')).toBeUndefined();
    expect(
      await page
        .locator('#board img, #board svg, #task-view img, #task-view svg, body script:not([src])')
        .count(),
    ).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('shows cost on the cards, per agent today, per UTC day, and on the task page; an outcome updates it live', async () => {
    const { ledger, t3, reason } = spendingLedger();
    const board = await testBoard(ledger);
    const { page, errors } = await openPage(board.url);
    const text = (selector: string) => page.locator(selector).textContent();

    await page.locator(`${card('T-2', 'done')} .cost`).waitFor();
    expect(await text(`${card('T-2')} .cost`)).toBe('💰 $0.50 · 2.0k in / 400 out');
    expect(await text(`${card('T-1')} .cost`)).toBe('💰 $0.30 · 10k in / 2.0k out');
    expect(await page.locator(`${card('T-4')} .cost`).count()).toBe(0);

    expect(await text('#agents [data-agent="coder-1"] .cost')).toBe('today $1.00 · 5.0k in / 1.0k out');
    expect(await text('#agents [data-agent="coder-1"] .hold')).toBe(`⛔ not claiming: ${reason}`);
    expect(await text('#agents [data-agent="writer-2"] .cost')).toBe('today $0.50 · 2.0k in / 400 out');
    expect(await page.locator('#agents [data-agent="writer-2"] .hold').count()).toBe(0);

    // The cost panel: 14 UTC days, newest first, each opening on its agents.
    const today = '#cost details[data-day="2026-11-30"]';
    await page.locator(today).waitFor();
    expect(await page.locator('#cost details').count()).toBe(14);
    expect(await text(`${today} summary .day`)).toBe('2026-11-30 (today)');
    expect(await text(`${today} summary .what`)).toBe('$1.50 · 7.0k in / 1.4k out');
    expect(await text('#cost details[data-day="2026-11-29"] summary .what')).toBe('—');
    expect(await text('#cost details[data-day="2026-11-28"] summary .what')).toBe(
      '$0.30 · 10k in / 2.0k out',
    );
    expect(await text('#cost .hold')).toBe(`⛔ coder-1 not claiming: ${reason}`);
    await page.locator(`${today} summary`).click();
    expect(await page.locator(`${today} li`).allTextContents()).toEqual([
      'coder-1: $1.00 · 5.0k in / 1.0k out',
      'writer-2: $0.50 · 2.0k in / 400 out',
    ]);
    // The busiest day's bar is full, a day without usage has none (widths set through the CSSOM).
    const barOf = (day: string) =>
      page.locator(`#cost details[data-day="${day}"] .bar > span`).getAttribute('style');
    expect(await barOf('2026-11-30')).toBe('width: 100%;');
    expect(await barOf('2026-11-28')).toBe('width: 20%;');
    expect(await barOf('2026-11-29')).toBe('width: 0%;');

    await page.locator(card('T-2')).click();
    await page.locator('#task-view .facts .cost').waitFor();
    expect(await text('#task-view .facts .cost')).toBe('$0.50 · 2.0k in / 400 out');
    expect(await text('#task-view .facts .budget')).toBe('$2.00');
    expect(await text('#task-view tr[data-attempt="1"] .usage')).toBe('$0.42 · 1.2k in / 300 out');
    expect(await text('#task-view tr[data-attempt="1"] .session')).toBe('sess-abc');
    expect(await text('#task-view tr[data-attempt="2"] .usage')).toBe('$0.08 · 800 in / 100 out');
    await page.locator('#task-close').click();

    // The running task finishes: its outcome event carries the usage, and the page follows it.
    ledger.usage.record(t3, { inputTokens: 1_000, outputTokens: 500, costUsd: 0.25 });
    ledger.complete(t3, 'finished');
    await page.locator(`${card('T-3', 'done')} .cost`).waitFor({ timeout: 10_000 });
    expect(await text(`${card('T-3')} .cost`)).toBe('💰 $1.25 · 6.0k in / 1.5k out');
    await page
      .locator(`${today} summary .what`, { hasText: '$1.75 · 8.0k in / 1.9k out' })
      .waitFor({ timeout: 10_000 });
    // The day a person opened stays open through the refresh, with the new figures.
    expect(await page.locator(`${today} li`).first().textContent()).toBe(
      'coder-1: $1.25 · 6.0k in / 1.5k out',
    );
    await page
      .locator('#agents [data-agent="coder-1"] .cost', { hasText: 'today $1.25 · 6.0k in / 1.5k out' })
      .waitFor({ timeout: 10_000 });
    expect(await page.evaluate('window.__noReload')).toBe(true);
    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/board-cost.png', fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('misses no event and repeats none when the live feed reconnects after a server restart', async () => {
    const ledger = tempLedger();
    ledger.createTask({ title: 'before' }, 'test');
    const first = await testBoard(ledger, { token: TOKEN, tokenEnv: 'BOARD_TOKEN' });
    const { page, errors } = await openPage(`${first.url}?token=${TOKEN}`);
    await page.locator(card('T-1')).waitFor();
    const seen = Number(await page.locator('body').getAttribute('data-seq'));
    await first.close();
    await page.waitForSelector('#live.off');
    // Written while the board is down.
    for (const title of ['while down 1', 'while down 2', 'while down 3'])
      ledger.createTask({ title }, 'test');
    ledger.cancel('T-1', 'test');
    await testBoard(ledger, { token: TOKEN, tokenEnv: 'BOARD_TOKEN', port: first.port });
    await page.waitForSelector('#live.on', { timeout: 20_000 });
    ledger.createTask({ title: 'after' }, 'test');
    await page.locator(card('T-5', 'queued')).waitFor({ timeout: 10_000 });
    await page.locator(card('T-1', 'cancelled')).waitFor();
    for (const id of ['T-2', 'T-3', 'T-4']) await page.locator(card(id, 'queued')).waitFor();
    const ids = await page.evaluate<number[]>('window.__ids');
    const last = ledger.lastEventSeq();
    const expected = Array.from({ length: last - seen }, (_, i) => seen + 1 + i);
    // Every event after the snapshot, once, in order (the cookie session survived the restart too).
    expect(ids.filter((id) => id > seen)).toEqual(expected);
    expect(ids.length).toBe(new Set(ids).size);
    expect(await page.evaluate('window.__noReload')).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
