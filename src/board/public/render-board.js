// The board's columns, cards, agents and mirror panels, rebuilt from the page's state.
import { age, el, fact, fill, when } from './dom.js';

export const STATES = ['queued', 'claimed', 'blocked', 'review', 'done', 'failed', 'cancelled'];
const FINAL = new Set(['done', 'failed', 'cancelled']);
/** Cards shown per column before "show more". */
const PAGE = 100;

/** Does the task pass the filters? */
export function matches(task, f) {
  if (f.state && task.status !== f.state) return false;
  if (f.agent && task.owner !== f.agent && task.assignee !== f.agent) return false;
  if (f.skill && !task.skills.includes(f.skill)) return false;
  if (f.text) {
    const t = f.text.toLowerCase();
    const hay = `${task.id} ${task.key ?? ''} ${task.title}`.toLowerCase();
    if (!hay.includes(t)) return false;
  }
  return true;
}

/** Claim order for open work, newest first for finished work. */
function order(state) {
  if (FINAL.has(state)) return (a, b) => b.updatedAt - a.updatedAt || b.seq - a.seq;
  return (a, b) => b.priority - a.priority || a.seq - b.seq;
}

const cardCache = new Map();

/** One task's card; rebuilt only when the task changed. */
function card(task) {
  const key = `${task.updatedAt}|${JSON.stringify(task.waiting)}|${task.status}|${task.usage?.text ?? ''}`;
  const hit = cardCache.get(task.id);
  if (hit && hit.key === key) return hit.node;
  const agent = task.owner ?? (task.assignee ? `→ ${task.assignee}` : null);
  const node = el(
    'a',
    {
      class: 'card',
      href: `#task/${encodeURIComponent(task.id)}`,
      'data-task': task.id,
      'data-status': task.status,
    },
    el(
      'div',
      { class: 'meta' },
      el('span', { class: 'id', text: task.id }),
      el('span', { class: 'prio', title: 'priority (higher runs first)', text: `P${task.priority}` }),
      task.review ? el('span', { class: 'chip', text: 'review' }) : null,
      task.tries > 1 ? el('span', { title: 'attempt', text: `try ${task.tries}/${task.maxAttempts}` }) : null,
      el('span', {
        class: 'age',
        'data-t': task.createdAt,
        title: `created ${when(task.createdAt)}`,
        text: age(Date.now() - task.createdAt),
      }),
    ),
    el('div', { class: 'title', text: task.title }),
    task.skills.length || agent
      ? el(
          'div',
          { class: 'meta' },
          task.skills.map((s) => el('span', { class: 'chip', text: s })),
          agent ? el('span', { class: 'who', text: agent }) : null,
        )
      : null,
    (task.status === 'claimed' || task.status === 'blocked') &&
      (task.progressPct !== null || task.progressText)
      ? [
          task.progressPct !== null
            ? el('div', { class: 'bar', title: `${task.progressPct}%` }, el('span'))
            : null,
          task.progressText ? el('div', { class: 'meta', text: task.progressText }) : null,
        ]
      : null,
    task.status === 'blocked' && task.question
      ? el('div', { class: 'question', text: `❓ ${task.question}` })
      : null,
    task.status === 'failed' && task.lastError ? el('div', { class: 'err', text: task.lastError }) : null,
    task.usage
      ? el('div', { class: 'meta cost', title: 'cost over its attempts', text: `💰 ${task.usage.text}` })
      : null,
    task.waiting
      ? el('div', { class: 'why', 'data-until': task.waiting.until ?? null, text: waitingText(task.waiting) })
      : null,
  );
  // Width is set through the CSSOM: the CSP forbids inline style attributes.
  const bar = node.querySelector('.bar > span');
  if (bar) bar.style.width = `${Math.max(0, Math.min(100, task.progressPct))}%`;
  cardCache.set(task.id, { key, node });
  return node;
}

/** A waiting reason as words; a backoff counts down. */
export function waitingText(w) {
  if (w.kind === 'backoff' && w.until) {
    const left = w.until - Date.now();
    return left > 0 ? `${w.text}: retry in ${age(left)}` : w.text;
  }
  return w.text;
}

/** Rebuilds the columns from the tasks that pass the filters. */
export function renderBoard(root, state) {
  const f = state.filters;
  const byState = new Map(STATES.map((s) => [s, []]));
  for (const task of state.tasks.values()) if (matches(task, f)) byState.get(task.status)?.push(task);
  const columns = [];
  for (const s of STATES) {
    if (f.state && f.state !== s) continue;
    const list = byState.get(s).sort(order(s));
    const limit = state.shown[s] ?? PAGE;
    const more = list.length - limit;
    columns.push(
      el(
        'section',
        { class: 'column', 'data-state': s, 'aria-label': s },
        el('h2', {}, el('span', { text: s }), el('span', { class: 'count', text: String(list.length) })),
        el('div', { class: 'cards' }, list.slice(0, limit).map(card)),
        more > 0
          ? el('button', {
              class: 'more',
              type: 'button',
              text: `show ${Math.min(more, PAGE)} more of ${more}`,
              onclick: () => {
                state.shown[s] = limit + PAGE;
                renderBoard(root, state);
              },
            })
          : null,
      ),
    );
  }
  fill(root, ...columns);
  if (cardCache.size > state.tasks.size * 2 + 1000) cardCache.clear();
}

/** Counts per state for the header (all tasks, not only the filtered ones). */
export function countsText(tasks) {
  const n = Object.fromEntries(STATES.map((s) => [s, 0]));
  for (const t of tasks.values()) n[t.status] = (n[t.status] ?? 0) + 1;
  return (
    STATES.filter((s) => n[s])
      .map((s) => `${n[s]} ${s}`)
      .join(' · ') || 'no tasks yet'
  );
}

/** The agents panel, with pause and resume buttons when controls are allowed. */
export function renderAgents(root, agents, now, control) {
  if (!agents.length) {
    fill(root, el('p', { class: 'hint', text: 'No agent has registered yet.' }));
    return;
  }
  fill(
    root,
    ...agents.map((a) =>
      el(
        'div',
        { class: 'agent', 'data-agent': a.id },
        el('span', {
          class: `dot${a.online ? ' on' : ''}`,
          title: a.online ? 'online' : 'silent or offline',
        }),
        el('span', { class: 'name', text: a.id }),
        ' ',
        el('span', {
          class: `badge${a.status === 'paused' ? ' warn' : a.status === 'offline' || !a.online ? ' bad' : ''}`,
          text: a.status === 'active' && !a.online ? 'silent' : a.status,
        }),
        ' ',
        el('span', { class: 'chip', text: a.local ? `local pid ${a.pid}` : 'remote' }),
        el(
          'div',
          { class: 'meta' },
          `${a.held}/${a.capacity} busy`,
          a.skills.length ? ` · ${a.skills.join(', ')}` : ' · any task without skills',
          ` · heartbeat ${a.lastHeartbeatAt ? `${age(now - a.lastHeartbeatAt)} ago` : 'never'}`,
        ),
        a.today ? el('div', { class: 'meta cost', text: `today ${a.today.text}` }) : null,
        a.hold ? el('div', { class: 'err hold', text: `⛔ not claiming: ${a.hold}` }) : null,
        a.tasks.length
          ? el(
              'div',
              { class: 'meta' },
              'working on ',
              a.tasks.map((id, i) => [
                i ? ', ' : '',
                el('a', { href: `#task/${encodeURIComponent(id)}`, text: id }),
              ]),
            )
          : null,
        control
          ? el(
              'div',
              { class: 'controls' },
              a.status === 'paused'
                ? el('button', { type: 'button', text: 'Resume', onclick: () => control(`/resume ${a.id}`) })
                : el('button', { type: 'button', text: 'Pause', onclick: () => control(`/pause ${a.id}`) }),
            )
          : null,
      ),
    ),
  );
}

/** The mirror's health. */
export function renderMirror(root, m, now) {
  if (!m) return;
  const budget = m.budgetPerMinute ? ` of ${m.budgetPerMinute} allowed` : '';
  fill(
    root,
    ...fact('platform', m.platform),
    ...fact(
      'backlog',
      `${m.backlog} waiting`,
      m.oldestPendingAt ? ` (oldest ${age(now - m.oldestPendingAt)})` : '',
    ),
    ...fact('sent last minute', `${m.sentLastMinute}${budget}`),
    ...fact(
      'failed',
      el('span', { class: m.failed ? 'err' : '', text: String(m.failed) }),
      m.lastFailure ? ` — ${m.lastFailure}` : '',
    ),
    ...fact(
      'last 429',
      m.last429
        ? `${age(now - m.last429.at)} ago, asked to wait ${Math.ceil(m.last429.retryAfterMs / 1000)}s`
        : 'none recorded',
    ),
  );
}

/** The audit's verdicts. */
export function renderAudit(root, a) {
  const verdict = (ok, good, bad) =>
    el('span', { class: `badge ${ok ? 'good' : 'bad'}`, text: ok ? good : bad });
  fill(
    root,
    el(
      'dl',
      { class: 'facts' },
      ...fact('chain', verdict(a.chainIntact, 'intact', 'broken')),
      ...fact('task rows', verdict(a.rowsMatch, 'match the events', 'differ')),
      ...fact(
        'mirror',
        verdict(a.mirrorComplete, a.pending ? `complete (${a.pending} pending)` : 'complete', 'incomplete'),
      ),
      ...fact('events', `${a.events} (${a.mirroredEvents} mirrored), ${a.tasks} tasks`),
      ...fact('checked', `${when(a.at)} in ${a.tookMs} ms`),
    ),
    a.problemCount
      ? el(
          'ul',
          { class: 'err' },
          a.problems.map((p) =>
            el('li', { text: `${p.seq !== null ? `#${p.seq} ` : ''}${p.kind}: ${p.problem}` }),
          ),
          a.problemCount > a.problems.length
            ? el('li', { text: `… ${a.problemCount - a.problems.length} more (chat-swarm audit)` })
            : null,
        )
      : null,
  );
}

/**
 * The cost panel: the last days (UTC) newest first, each with a bar and its agents, and today's
 * budget holds in the words of `chat-swarm status`.
 */
export function renderCost(root, history) {
  if (!history) return;
  // A refresh keeps the days a person opened open.
  const open = new Set([...root.querySelectorAll('details[open]')].map((d) => d.dataset.day));
  const scale = Math.max(...history.days.map((d) => d.costUsd));
  const tokenScale = Math.max(...history.days.map((d) => d.inputTokens + d.outputTokens));
  const share = (d) =>
    scale > 0 ? d.costUsd / scale : tokenScale > 0 ? (d.inputTokens + d.outputTokens) / tokenScale : 0;
  const rows = history.days.map((d) =>
    el(
      'details',
      { class: `cost-day${d.reports ? '' : ' none'}`, 'data-day': d.day, open: open.has(d.day) },
      el(
        'summary',
        {},
        el('span', { class: 'day', text: d.day === history.today ? `${d.day} (today)` : d.day }),
        el('span', { class: 'bar', title: d.text || 'no usage' }, el('span', { 'data-share': share(d) })),
        el('span', { class: 'what', text: d.reports ? d.text : '—' }),
      ),
      d.agents.length
        ? el(
            'ul',
            {},
            d.agents.map((a) => el('li', { 'data-agent': a.agentId, text: `${a.agentId}: ${a.text}` })),
          )
        : el('p', { class: 'hint', text: 'no usage reported' }),
    ),
  );
  fill(
    root,
    history.holds.map((h) =>
      el('p', { class: 'err hold', text: `⛔ ${h.subject} not claiming: ${h.reason}` }),
    ),
    el(
      'p',
      { class: 'hint' },
      history.total.reports
        ? `last ${history.days.length} days (UTC): ${history.total.text}`
        : `no usage reported in the last ${history.days.length} days`,
    ),
    // Fourteen empty rows say nothing the line above does not.
    history.total.reports ? rows : null,
  );
  // Widths through the CSSOM: the CSP forbids inline style attributes.
  for (const bar of root.querySelectorAll('.bar > span[data-share]'))
    bar.style.width = `${Math.round(Number(bar.dataset.share) * 100)}%`;
}
