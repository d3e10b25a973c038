import { taskLineRenderer } from '../chat/render-task.ts';
import type { Staffing } from '../chat/staffing.ts';
import type { Task } from '../core/types.ts';
import type { OutboxRow } from '../ledger/outbox-payload.ts';

export interface DigestPlan {
  rowIds: number[];
  heading: string;
  text: string;
  priority: number;
}

const LINE_MAX = 300;

/** What the digest builder may ask of the ledger. */
export interface DigestView {
  taskOf(id: string): Task | undefined;
  hasMainMessage(taskId: string): boolean;
  /** Who is online, so a queued task nobody can take says so. */
  staffing?: Staffing;
}

function clip(text: string): string {
  const flat = text.replace(/\s*\n\s*/g, ' ⏎ ').trim();
  return flat.length > LINE_MAX ? `${flat.slice(0, LINE_MAX - 1)}…` : flat;
}

/** The digest line for one row; undefined for rows that must go out on their own. */
function lineFor(row: OutboxRow, view: DigestView): string | undefined {
  if (row.kind === 'reply' || row.kind === 'digest' || row.payload.attachmentPath) return undefined;
  // A question is answered by replying to its message: inside a digest no reply could find it.
  if (row.payload.awaitsReply) return undefined;
  if (row.kind === 'status') {
    // A task that already has its main message gets it edited, so the board stays true.
    if (!row.taskId || view.hasMainMessage(row.taskId)) return undefined;
    const task = view.taskOf(row.taskId);
    return task ? taskLineRenderer(view.staffing)(task) : undefined;
  }
  const who = row.payload.speaker ? ` ${row.payload.speaker}:` : '';
  const task = row.taskId ? `${row.taskId}${who} ` : who ? `${who} ` : '';
  return clip(`${task}${row.payload.text}`);
}

/**
 * Groups a backlog of due rows into digest messages that fit the platform's text limit, so a swarm
 * that moves faster than the channel's message budget is still shown in full. Replies to people,
 * questions (answered by replying to them) and rows with files keep their own messages.
 */
export function buildDigests(rows: OutboxRow[], view: DigestView, maxTextLength: number): DigestPlan[] {
  const plans: DigestPlan[] = [];
  let current: { ids: number[]; lines: string[]; length: number; priority: number } | undefined;
  const budget = maxTextLength - 60;
  const flush = (): void => {
    if (current && current.ids.length >= 2) {
      plans.push({
        rowIds: current.ids,
        heading: `📋 ${current.ids.length} updates`,
        text: current.lines.join('\n'),
        priority: current.priority,
      });
    }
    current = undefined;
  };
  for (const row of rows) {
    const line = lineFor(row, view);
    if (line === undefined) continue;
    if (current && current.length + line.length + 1 > budget) flush();
    current ??= { ids: [], lines: [], length: 0, priority: row.priority };
    current.ids.push(row.id);
    current.lines.push(line);
    current.length += line.length + 1;
    current.priority = Math.min(current.priority, row.priority);
  }
  flush();
  return plans;
}
