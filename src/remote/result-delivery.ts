import { readFileSync } from 'node:fs';
import { encodeProtocol } from './protocol-codec.ts';
import { PROTOCOL_LIMITS, formatTag, parseTag, type ProtocolMessage, type Tag } from './protocol-types.ts';
import { inlineBudget, sendProtocol } from './protocol-sender.ts';
import type { AgentState } from './remote-agent-settings.ts';
import type { RemoteOutcome } from './remote-attempt.ts';
import type { PendingResult } from './remote-store.ts';

/**
 * A remote agent's results on their way to the orchestrator: each is kept in the agent's store
 * before it is sent, sent again while unanswered, and after an outage waits (1 s, doubling to 30 s)
 * instead of retrying hot. The store forgets it once acknowledged or refused.
 */
export class ResultDelivery {
  private delivering = false;
  private failures = 0;
  private nextAt = 0;

  constructor(private readonly state: AgentState) {}

  /** Keeps the outcome in the store first, then sends it: a crash in between loses nothing. */
  finish(tag: Tag, out: RemoteOutcome): void {
    const { o } = this.state;
    const key = formatTag(tag);
    const note = out.skipped.length ? `\n${out.skipped.join('\n')}` : '';
    const text = `${out.text}${note}`;
    const inline = encodeProtocol({
      verb: 'result',
      to: o.orchestrator.handle,
      tag,
      outcome: out.outcome,
      text,
    });
    if (
      out.artifacts.length === 0 &&
      text.length <= PROTOCOL_LIMITS.maxInlineResultChars &&
      inline.length <= inlineBudget(this.state)
    ) {
      o.store.addPending({ tag: key, outcome: out.outcome, text });
    } else {
      const bundle = `${tag.taskId}-${tag.attempt}.result.json`;
      const content = Buffer.from(
        JSON.stringify({
          tag: key,
          ...(out.outcome === 'ok' ? { output: text } : { error: text }),
          artifacts: out.artifacts,
        }),
      );
      o.store.addPending({ tag: key, outcome: out.outcome, bundle }, content);
    }
    void this.deliverPending();
  }

  /** Sends every result not sent yet, and again those unanswered for `resultResendMs`. */
  async deliverPending(): Promise<void> {
    if (this.delivering || !this.state.connected || Date.now() < this.nextAt) return;
    this.delivering = true;
    try {
      const now = Date.now();
      for (const p of this.state.o.store.pending()) {
        if (p.sentAt === 0 || now - p.sentAt >= this.state.settings.resultResendMs) await this.deliver(p);
        if (Date.now() < this.nextAt) break;
      }
    } finally {
      this.delivering = false;
    }
  }

  private async deliver(p: PendingResult): Promise<void> {
    const { o } = this.state;
    const tag = parseTag(p.tag);
    if (!tag) return;
    const message: ProtocolMessage = {
      verb: 'result',
      to: o.orchestrator.handle,
      tag,
      outcome: p.outcome,
      ...(p.text !== undefined ? { text: p.text } : {}),
      ...(p.bundle !== undefined ? { bundle: p.bundle } : {}),
    };
    const attachment = p.bundle
      ? { fileName: p.bundle, content: readFileSync(o.store.bundlePath(p.bundle)) }
      : undefined;
    if (await sendProtocol(this.state, message, true, attachment)) {
      o.store.markSent(p.tag, Date.now());
      this.failures = 0;
    } else {
      // Unreachable: wait before the next try (1 s, doubling to 30 s) instead of retrying hot.
      this.failures += 1;
      this.nextAt = Date.now() + Math.min(30_000, 1_000 * 2 ** (this.failures - 1));
    }
  }
}
