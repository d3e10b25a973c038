// The task page: everything the ledger knows about one task, and its controls.
import { age, el, fact, fill, when } from './dom.js';
import { waitingText } from './render-board.js';

const OPEN = new Set(['queued', 'claimed', 'blocked', 'review']);

/** A short line for an event on the timeline, from its recorded data. */
function eventText(e) {
  const d = e.data ?? {};
  const parts = [];
  for (const key of [
    'attempt',
    'pct',
    'text',
    'question',
    'answer',
    'feedback',
    'note',
    'reason',
    'error',
    'assignee',
    'result',
  ]) {
    const v = d[key];
    if (v === undefined || v === null || v === '') continue;
    const s = typeof v === 'string' ? v : JSON.stringify(v);
    parts.push(`${key}: ${s.length > 600 ? `${s.slice(0, 600)}…` : s}`);
  }
  if (Array.isArray(d.artifacts) && d.artifacts.length) parts.push(`artifacts: ${d.artifacts.join(', ')}`);
  if (d.from !== undefined && d.to !== undefined) parts.push(`priority ${d.from} → ${d.to}`);
  return parts.join('\n');
}

function section(title, ...content) {
  return el('div', { class: 'task-section' }, el('h3', { text: title }), ...content);
}

function taskLinks(list) {
  if (!list.length) return el('p', { class: 'hint', text: 'none' });
  return el(
    'ul',
    {},
    list.map((t) =>
      el(
        'li',
        {},
        el('a', { href: `#task/${encodeURIComponent(t.id)}`, text: t.id }),
        ` ${t.title} `,
        el('span', { class: 'badge', text: t.status }),
      ),
    ),
  );
}

/** A form with one text box and a button that runs `command(text)`. */
function textForm(label, button, name, make, control) {
  return el(
    'form',
    {
      'data-control': name,
      onsubmit: (ev) => {
        ev.preventDefault();
        const text = ev.target.elements.text.value.trim();
        void control(make(text)).then((ok) => ok && ev.target.reset());
      },
    },
    el('textarea', { name: 'text', rows: 2, 'aria-label': label, placeholder: label }),
    el('button', { type: 'submit', text: button }),
  );
}

function controlsFor(d, agents, control) {
  const t = d.task;
  const id = t.id;
  const buttons = [];
  const forms = [];
  const button = (text, command, cls) =>
    el('button', {
      type: 'button',
      class: cls ?? '',
      'data-control': text.toLowerCase(),
      text,
      onclick: () => void control(command),
    });
  if (t.status === 'review') {
    buttons.push(button('Approve', `/approve ${id}`, 'primary'));
    forms.push(textForm('what to change', 'Reject', 'reject', (f) => `/reject ${id} ${f}`, control));
  }
  if (t.status === 'blocked')
    forms.push(textForm('your answer', 'Answer', 'answer', (a) => `/answer ${id} ${a}`, control));
  if (t.status === 'failed' || t.status === 'cancelled')
    buttons.push(button('Retry', `/retry ${id}`, 'primary'));
  if (OPEN.has(t.status)) buttons.push(button('Cancel', `/cancel ${id}`, 'danger'));
  if (t.status === 'queued' && agents.length) {
    const select = el(
      'select',
      { name: 'agent', 'aria-label': 'agent' },
      agents.map((a) => el('option', { value: a.id, text: a.id })),
    );
    forms.push(
      el(
        'form',
        {
          'data-control': 'assign',
          onsubmit: (ev) => {
            ev.preventDefault();
            void control(`/assign ${id} ${select.value}`);
          },
        },
        select,
        el('button', { type: 'submit', text: 'Assign' }),
      ),
    );
  }
  if (!['done', 'cancelled'].includes(t.status))
    forms.push(
      textForm('a note for the next attempt', 'Add note', 'note', (n) => `/note ${id} ${n}`, control),
    );
  return section('Controls', el('div', { class: 'controls' }, buttons, forms));
}

/** Fills the task view. `control` runs a command and resolves true when it was applied. */
export function renderTaskPage(titleNode, body, d, { agents, control }) {
  const t = d.task;
  titleNode.replaceChildren(el('span', { class: 'id', text: `${t.id} ` }), t.title);
  const now = Date.now();
  const current = d.attempts.at(-1);
  const usageOf = new Map(d.usage.attempts.map((u) => [u.attempt, u]));
  const parts = [
    el(
      'dl',
      { class: 'facts' },
      ...fact(
        'state',
        el('span', { class: 'badge', 'data-status': t.status, text: t.status }),
        t.review ? ' · needs review' : '',
      ),
      ...fact('priority', String(t.priority)),
      ...fact('skills', t.skills.length ? t.skills.join(', ') : 'any'),
      ...fact('agent', t.owner ?? (t.assignee ? `assigned to ${t.assignee}` : '—')),
      ...fact('attempts', `${d.attempts.length} (at most ${t.maxAttempts} per round)`),
      d.usage.total.reports
        ? fact(
            'cost',
            el('span', { class: 'cost', text: d.usage.total.text }),
            d.usage.total.model ? ` (${d.usage.total.model})` : '',
          )
        : [],
      d.usage.budgetText ? fact('budget', el('span', { class: 'budget', text: d.usage.budgetText })) : [],
      t.progressPct !== null || t.progressText
        ? fact('progress', `${t.progressPct ?? '?'}% ${t.progressText ?? ''}`)
        : [],
      ...fact('created', `${when(t.createdAt)} by ${t.createdBy} (${age(now - t.createdAt)} ago)`),
      ...fact('updated', when(t.updatedAt)),
      t.idempotencyKey ? fact('key', t.idempotencyKey) : [],
      d.chatLink
        ? fact(
            'in the chat',
            el('a', {
              href: d.chatLink,
              rel: 'noopener noreferrer',
              target: '_blank',
              text: 'open the task message',
            }),
          )
        : [],
    ),
    d.waiting ? el('p', { class: 'why', text: `Waiting: ${waitingText(d.waiting)}` }) : null,
    control ? controlsFor(d, agents, control) : null,
    section('Body', t.body ? el('pre', { text: t.body }) : el('p', { class: 'hint', text: 'no body' })),
    t.notes.length
      ? section(
          'Notes',
          el(
            'ul',
            {},
            t.notes.map((n) => el('li', { text: n })),
          ),
        )
      : null,
    t.question || d.answer
      ? section(
          'Question',
          el('pre', { text: t.question ?? '(answered)' }),
          d.answer ? el('p', {}, 'Answer: ', el('span', { text: d.answer })) : null,
        )
      : null,
    t.result ? section('Result', el('pre', { class: 'result', text: t.result })) : null,
    t.lastError ? section('Last error', el('pre', { class: 'err', text: t.lastError })) : null,
    d.artifacts.length
      ? section(
          'Artifacts',
          el(
            'ul',
            {},
            d.artifacts.map((a) =>
              el(
                'li',
                {},
                el('a', { href: a.url, download: a.name, text: a.name }),
                a.bytes !== null ? ` (${a.bytes} bytes)` : '',
              ),
            ),
          ),
        )
      : null,
    section('Depends on', taskLinks(d.dependsOn)),
    section('Needed by', taskLinks(d.dependents)),
    section(
      'Attempts',
      d.attempts.length
        ? el(
            'table',
            {},
            el(
              'thead',
              {},
              el(
                'tr',
                {},
                ['#', 'agent', 'start', 'end', 'outcome', 'error', 'usage', 'session'].map((h) =>
                  el('th', { text: h }),
                ),
              ),
            ),
            el(
              'tbody',
              {},
              d.attempts.map((a) =>
                el(
                  'tr',
                  { 'data-attempt': a.attempt },
                  el('td', { text: String(a.attempt) }),
                  el('td', { text: a.agentId }),
                  el('td', { text: when(a.startedAt) }),
                  el('td', { text: a.endedAt ? when(a.endedAt) : a === current ? 'running' : '—' }),
                  el('td', { text: a.outcome }),
                  el('td', { text: a.error ?? '' }),
                  el('td', { class: 'usage', text: usageOf.get(a.attempt)?.text ?? '' }),
                  el('td', { class: 'session', text: usageOf.get(a.attempt)?.session ?? '' }),
                ),
              ),
            ),
          )
        : el('p', { class: 'hint', text: 'not claimed yet' }),
    ),
    section(
      'Timeline',
      d.eventsCut
        ? el('p', { class: 'hint', text: 'older events left out; `chat-swarm export` has them all' })
        : null,
      el(
        'ol',
        { class: 'timeline' },
        d.events.map((e) =>
          el(
            'li',
            { 'data-seq': e.seq },
            el('span', { class: 'when', text: when(e.at) }),
            el('span', { class: 'type', text: e.type }),
            el('span', { class: 'actor', text: e.actor }),
            el('span', { class: 'what', text: eventText(e) }),
          ),
        ),
      ),
    ),
  ];
  fill(body, parts);
}
