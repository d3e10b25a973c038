import type { ChatPort, OutgoingMessage, SentMessage, TaskAnchor } from '../chat/chat-port.ts';
import { renderTaskMessage } from '../chat/render-task.ts';
import { splitText, truncateText } from '../chat/split-text.ts';
import { staffingOf, type Staffing } from '../chat/staffing.ts';
import { actionsFor } from '../chat/task-actions.ts';
import { ChatError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { OutboxRow } from '../ledger/outbox-payload.ts';
import { taskStamp } from '../ledger/task-stamp.ts';
import type { DestinationWatch } from './destination-watch.ts';
import { readArtifact } from './read-artifact.ts';

/** Longest text split into several messages before it goes out as a file instead. */
const MAX_SPLIT_PARTS = 3;

/**
 * Turns one outbox row into what the platform shows: a task's main message (created, or edited in
 * place to its current state), or text under it, split or attached as a file when too long. The
 * poster (outbox-poster.ts) decides when a row goes and records what came of it.
 */
export class RowSender {
  constructor(
    private readonly deps: { ledger: Ledger; port: ChatPort; channel: string; log: Logger; swarmId: string },
    private readonly destination: DestinationWatch,
  ) {}

  /** Sends a row as the platform message(s) it stands for; the first one sent. */
  async send(row: OutboxRow): Promise<SentMessage> {
    switch (row.kind) {
      case 'status':
        return this.sendStatus(row);
      case 'detail':
      // A reply to a command typed in a task's thread goes back into that thread.
      case 'reply': {
        const anchor = row.taskId ? await this.anchorFor(row.taskId, row) : undefined;
        return this.sendText(row, anchor);
      }
      default:
        return this.sendText(row, undefined);
    }
  }

  /** Who is online now, so a queued task nobody can take says so (see staffing.ts). */
  staffing(): Staffing {
    const { ledger } = this.deps;
    return staffingOf(ledger.listAgents(), ledger.core.now(), ledger.options.leaseMs);
  }

  /** Creates the task's main message, or edits it in place to show the task's current state. */
  private async sendStatus(row: OutboxRow): Promise<SentMessage> {
    const { ledger, channel, port } = this.deps;
    const task = row.taskId ? ledger.getTask(row.taskId) : undefined;
    if (!task) throw new ChatError(`status row ${row.id} names no known task`, { permanent: true });
    const rendered = renderTaskMessage(task, this.staffing());
    const max = port.limits.maxTextLength - rendered.heading.length - 1;
    // The buttons for the state shown; `[]` clears those of an earlier state.
    const actions = actionsFor(task, taskStamp(ledger.core, task.id));
    const body = { heading: rendered.heading, text: truncateText(rendered.text, Math.max(1, max)), actions };
    const existing = ledger.outbox.taskMessage(task.id, channel);
    if (existing && port.edit) {
      const target: SentMessage = { messageId: existing.messageId };
      await port.edit(target, body);
      return target;
    }
    const sent = await port.send({ ...body, nonce: this.nonce(row) });
    // Recorded as a message of the chat it went to, should the port have followed it elsewhere.
    this.destination.followAfterSend();
    if (!existing) ledger.outbox.setTaskMessage(task.id, channel, sent.messageId);
    return sent;
  }

  /** The task's main message, posting it first when a detail arrives before it. */
  private async anchorFor(taskId: string, forRow: OutboxRow): Promise<TaskAnchor | undefined> {
    const { ledger, channel } = this.deps;
    const task = ledger.getTask(taskId);
    if (!task) return undefined;
    let msg = ledger.outbox.taskMessage(taskId, channel);
    if (!msg) {
      const pending = ledger.outbox.pendingStatusRow(channel, taskId);
      const statusRow: OutboxRow = pending ?? { ...forRow, kind: 'status' };
      const sent = await this.sendStatus(statusRow);
      if (pending) ledger.outbox.markSent(pending.id, sent.messageId, sent.threadId);
      msg = ledger.outbox.taskMessage(taskId, channel);
    }
    return msg ? { messageId: msg.messageId, taskId, title: task.title } : undefined;
  }

  /** Sends text, split into a few messages or attached as a file when it is too long for one. */
  private async sendText(row: OutboxRow, under: TaskAnchor | undefined): Promise<SentMessage> {
    const { port } = this.deps;
    const p = row.payload;
    const base: Omit<OutgoingMessage, 'text' | 'nonce'> = {};
    if (p.heading !== undefined) base.heading = p.heading;
    if (under) base.under = under;
    if (p.replyToMessageId !== undefined) base.replyToMessageId = p.replyToMessageId;
    if (p.speaker) base.speaker = p.speaker;
    if (p.promptsReply) base.promptsReply = p.promptsReply;
    let text = p.text;
    if (p.attachmentPath) {
      const file = await readArtifact(p, port.limits.maxAttachmentBytes);
      if (file.ok) base.attachment = { fileName: file.fileName, content: file.content };
      else {
        // Never shown as attached when it is not: the line says so instead.
        text = `${text}: not attached (${file.reason})`;
        this.deps.log.warn('artifact not attached', { row: row.id, taskId: row.taskId, reason: file.reason });
      }
    }
    const room =
      port.limits.maxTextLength -
      (p.heading ? p.heading.length + 1 : 0) -
      (p.speaker ? p.speaker.length + 4 : 0);
    const max = Math.max(100, room);
    if (text.length <= max) return port.send({ ...base, text, nonce: this.nonce(row) });
    const parts = splitText(text, max);
    if (parts.length <= MAX_SPLIT_PARTS) {
      let first: SentMessage | undefined;
      for (const [i, part] of parts.entries()) {
        const msg: OutgoingMessage = { ...base, text: part, nonce: this.nonce(row, i) };
        if (i > 0) delete msg.attachment;
        const sent = await port.send(msg);
        first ??= sent;
      }
      return first!;
    }
    const fileName = `${row.taskId ?? 'message'}-${row.id}.txt`;
    return port.send({
      ...base,
      text: `${truncateText(text, Math.min(max, 1_500))}\n(full text attached as ${fileName})`,
      attachment: { fileName, content: Buffer.from(text, 'utf8') },
      nonce: this.nonce(row),
    });
  }

  /** The platform's idempotency key for a row's message (one per part of a split text). */
  private nonce(row: OutboxRow, part = 0): string {
    return `${this.deps.swarmId}-${row.id}${part ? `-${part}` : ''}`.slice(0, 25);
  }
}
