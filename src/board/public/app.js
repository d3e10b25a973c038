// The board page: loads a snapshot, then follows the live feed (server-sent events keyed by the
// ledger's event number, so a reconnect resumes where it left off and nothing is applied twice).
import { ApiError, getJson, loadSession, sendCommand } from './api.js';
import { age, el, fill } from './dom.js';
import {
  countsText,
  renderAgents,
  renderAudit,
  renderBoard,
  renderCost,
  renderMirror,
  STATES,
} from './render-board.js';
import { renderTaskPage } from './task-page.js';

const $ = (id) => document.getElementById(id);

const state = {
  /** Task id → card data. */
  tasks: new Map(),
  /** The newest event applied; events at or below it are ignored. */
  seq: 0,
  agents: [],
  mirror: null,
  paused: false,
  now: Date.now(),
  filters: { state: '', agent: '', skill: '', text: '' },
  shown: {},
  session: null,
  /** The task the task view shows, if open. */
  openTask: null,
};
let source = null;
let renderQueued = false;
let taskReload = null;
let noticeTimer = null;
let costReload = null;
/** Usage is recorded without events while an attempt runs: the cost panel also refreshes this often. */
const COST_REFRESH_MS = 60_000;

function notice(text, ok = false) {
  const n = $('notice');
  n.textContent = text;
  n.className = ok ? 'notice ok' : 'notice';
  n.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => (n.hidden = true), ok ? 3000 : 10000);
}

/** Runs a chat command from the board; says what happened. Resolves true when applied. */
async function control(text) {
  try {
    const res = await sendCommand(text);
    notice(res.reply ?? `done: ${text.split('\n')[0].slice(0, 80)}`, true);
    return true;
  } catch (err) {
    const usage = err instanceof ApiError && err.usage ? `\n${err.usage}` : '';
    notice(`${err.message}${usage}`);
    return false;
  }
}

function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

function fillSelect(select, values, label) {
  // Rebuilt only when the choices change, so an open list on a phone is not closed under the finger.
  const key = values.join('\n');
  if (select.dataset.key === key) return;
  select.dataset.key = key;
  const current = select.value;
  const options = [
    el('option', { value: '', text: label }),
    ...values.map((v) => el('option', { value: v, text: v })),
  ];
  select.replaceChildren(...options);
  select.value = values.includes(current) ? current : '';
}

function render() {
  renderBoard($('board'), state);
  $('counts').textContent = countsText(state.tasks);
  $('paused').hidden = !state.paused;
  const canControl = state.session?.controls === true;
  $('swarm-controls').hidden = !canControl;
  $('pause-swarm').hidden = state.paused;
  $('resume-swarm').hidden = !state.paused;
  $('create-panel').hidden = !canControl;
  renderAgents($('agents'), state.agents, state.now, canControl ? control : null);
  renderMirror($('mirror'), state.mirror, state.now);
  fillSelect(
    $('f-agent'),
    state.agents.map((a) => a.id),
    'any agent',
  );
  const skills = new Set();
  for (const t of state.tasks.values()) for (const s of t.skills) skills.add(s);
  for (const a of state.agents) for (const s of a.skills) skills.add(s);
  fillSelect($('f-skill'), [...skills].sort(), 'any skill');
}

async function loadSnapshot() {
  const snap = await getJson('/api/board');
  state.tasks = new Map(snap.tasks.map((t) => [t.id, t]));
  state.seq = snap.seq;
  document.body.dataset.seq = String(state.seq);
  state.agents = snap.agents;
  state.mirror = snap.mirror;
  state.paused = snap.paused;
  state.now = snap.now;
  scheduleRender();
}

/** Loads the cost per day into its panel; a failure leaves the last one shown. */
async function loadCost() {
  try {
    renderCost($('cost'), await getJson('/api/cost'));
  } catch (err) {
    notice(`cost: ${err.message}`);
  }
}

/** Outcome events carry their attempt's usage, and a budget hold changes what the panel says. */
function costChanged(event) {
  return (event.data && typeof event.data.usage === 'object') || event.type === 'budget_hold';
}

function reloadCostSoon() {
  clearTimeout(costReload);
  costReload = setTimeout(() => void loadCost(), 250);
}

function setLive(text, cls) {
  const live = $('live');
  live.textContent = text;
  live.className = `live ${cls}`;
}

/** Follows the live feed from the newest event applied. */
function connect() {
  source?.close();
  source = new EventSource(`/api/events?after=${state.seq}`);
  source.addEventListener('hello', () => setLive('live', 'on'));
  source.addEventListener('change', (m) => {
    const seq = Number(m.lastEventId);
    if (!(seq > state.seq)) return; // seen already (a replay after a reconnect)
    state.seq = seq;
    const { event, task } = JSON.parse(m.data);
    if (task) state.tasks.set(task.id, task);
    if (state.openTask && event.taskId === state.openTask) reloadTaskSoon();
    if (costChanged(event)) reloadCostSoon();
    document.body.dataset.seq = String(state.seq);
    scheduleRender();
  });
  source.addEventListener('agents', (m) => {
    const d = JSON.parse(m.data);
    state.agents = d.agents;
    state.paused = d.paused;
    scheduleRender();
  });
  source.addEventListener('pulse', (m) => {
    const d = JSON.parse(m.data);
    state.agents = d.agents;
    state.paused = d.paused;
    state.mirror = d.mirror;
    state.now = d.now;
    for (const [id, reason] of Object.entries(d.waiting)) {
      const t = state.tasks.get(id);
      if (t) state.tasks.set(id, { ...t, waiting: reason });
    }
    scheduleRender();
  });
  source.addEventListener('reset', async () => {
    // Too far behind to replay: start again from a fresh snapshot.
    source.close();
    await loadSnapshot();
    reloadCostSoon();
    connect();
  });
  source.onerror = () => {
    setLive('reconnecting…', 'off');
    // The browser retries by itself (sending Last-Event-ID); after a refused reconnect it gives up.
    if (source.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
  };
}

function reloadTaskSoon() {
  clearTimeout(taskReload);
  taskReload = setTimeout(() => void showTask(state.openTask), 120);
}

async function showTask(id) {
  if (!id) return;
  state.openTask = id;
  const view = $('task-view');
  if (view.dataset.task !== id) {
    // Never leave another task's controls on screen while this one loads.
    delete view.dataset.task;
    $('task-title').textContent = id;
    fill($('task-body'), el('p', { class: 'hint', text: 'loading…' }));
  }
  try {
    const detail = await getJson(`/api/tasks/${encodeURIComponent(id)}`);
    if (state.openTask !== id) return;
    // A live update must not wipe what the person is typing (feedback, an answer, a note).
    const typed = view.dataset.task === id ? typedText(view) : new Map();
    const focused = document.activeElement?.closest?.('#task-view form[data-control]')?.dataset.control;
    renderTaskPage($('task-title'), $('task-body'), detail, {
      agents: state.agents,
      control: state.session?.controls ? control : null,
    });
    for (const [name, value] of typed) {
      const box = view.querySelector(`form[data-control="${name}"] textarea`);
      if (box) box.value = value;
    }
    if (focused) view.querySelector(`form[data-control="${focused}"] textarea`)?.focus();
    view.dataset.task = id;
    view.hidden = false;
  } catch (err) {
    notice(err.message);
    if (state.openTask === id) closeTask();
  }
}

/** Text typed into the task page's forms, by form. */
function typedText(view) {
  const typed = new Map();
  for (const box of view.querySelectorAll('form[data-control] textarea'))
    if (box.value) typed.set(box.closest('form').dataset.control, box.value);
  return typed;
}

function closeTask() {
  state.openTask = null;
  $('task-view').hidden = true;
  if (location.hash.startsWith('#task/')) history.replaceState(null, '', location.pathname);
}

function route() {
  const m = /^#task\/(.+)$/.exec(location.hash);
  if (m) void showTask(decodeURIComponent(m[1]));
  else closeTask();
}

/** The `/task` command for the create form, as a person would type it in the chat. */
function taskCommand(form) {
  const f = form.elements;
  const title = f.title.value.trim();
  // One quoted word keeps a title whole, even one with `name=value` in it.
  const words = [!title.includes('"') && title ? `"${title}"` : title];
  const list = (v) =>
    v
      .split(/[\s,]+/)
      .filter(Boolean)
      .join(',');
  if (list(f.skills.value)) words.push(`skills=${list(f.skills.value)}`);
  words.push(`priority=${f.priority.value}`);
  if (f.review.checked) words.push('review=yes');
  if (f.key.value.trim()) words.push(`key=${f.key.value.trim()}`);
  if (list(f.after.value)) words.push(`after=${list(f.after.value)}`);
  const body = f.body.value.trim();
  return `/task ${words.join(' ')}${body ? `\n${body}` : ''}`;
}

function wire() {
  fillSelect($('f-state'), STATES, 'any state');
  const prio = document.querySelector('#create select[name=priority]');
  prio.replaceChildren(...Array.from({ length: 10 }, (_, i) => el('option', { value: i, text: String(i) })));
  prio.value = '5';
  const onFilter = () => {
    state.filters = {
      state: $('f-state').value,
      agent: $('f-agent').value,
      skill: $('f-skill').value,
      text: $('f-text').value.trim(),
    };
    state.shown = {};
    scheduleRender();
  };
  for (const id of ['f-state', 'f-agent', 'f-skill']) $(id).addEventListener('change', onFilter);
  $('f-text').addEventListener('input', onFilter);
  $('filters').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const want = $('goto').value.trim();
    if (!want) return;
    const found =
      state.tasks.get(want) ??
      [...state.tasks.values()].find((t) => t.key === want || t.id.toLowerCase() === want.toLowerCase());
    location.hash = `#task/${encodeURIComponent(found ? found.id : want)}`;
  });
  $('pause-swarm').addEventListener('click', () => void control('/pause'));
  $('resume-swarm').addEventListener('click', () => void control('/resume'));
  $('create').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (await control(taskCommand(ev.target))) ev.target.reset();
    prio.value = '5';
  });
  $('audit-run').addEventListener('click', async () => {
    $('audit-run').disabled = true;
    try {
      renderAudit($('audit'), await getJson('/api/audit?fresh=1'));
    } catch (err) {
      notice(err.message);
    } finally {
      $('audit-run').disabled = false;
    }
  });
  $('task-close').addEventListener('click', (ev) => {
    ev.preventDefault();
    closeTask();
  });
  document.addEventListener('keydown', (ev) => ev.key === 'Escape' && closeTask());
  window.addEventListener('hashchange', route);
  // Ages and backoff countdowns move on without events.
  setInterval(() => {
    const now = Date.now();
    for (const node of document.querySelectorAll('.card .age'))
      node.textContent = age(now - Number(node.dataset.t));
  }, 10_000);
}

async function boot() {
  wire();
  try {
    state.session = await loadSession();
    await loadSnapshot();
  } catch (err) {
    setLive('not connected', 'off');
    notice(err.message);
    return;
  }
  connect();
  route();
  void loadCost();
  setInterval(() => void loadCost(), COST_REFRESH_MS);
}

void boot();
