import type { SentMessage } from '../chat/chat-port.ts';
import { ChatError, describeError } from '../core/errors.ts';
import { encodeProtocol } from './protocol-codec.ts';
import type { AgentState } from './remote-agent-settings.ts';

/**
 * A remote agent's presence in the channel: one status message (its hello) that it edits as its
 * heartbeat, a third of the shortest lease apart while it works, every `idleHelloMs` when idle.
 */
export class AgentHeartbeat {
  private status: SentMessage | undefined;
  private beat = 0;
  private lastBeatAt = 0;
  private sayingHello = false;
  private helloAgain = false;

  constructor(
    private readonly state: AgentState,
    /** Slots free now (capacity less attempts running and claims waiting). */
    private readonly free: () => number,
  ) {}

  /** Whether the next heartbeat is due at `now`. */
  due(now: number): boolean {
    const leases = [...this.state.running.values()].map((r) => r.leaseMs);
    const every = leases.length ? Math.min(...leases) / 3 : this.state.settings.idleHelloMs;
    return !this.status || now - this.lastBeatAt >= every;
  }

  private helloText(): string {
    const { o } = this.state;
    return encodeProtocol({
      verb: 'hello',
      to: o.orchestrator.handle,
      agent: o.id,
      capacity: o.capacity,
      free: Math.max(0, this.free()),
      beat: this.beat,
      skills: o.skills,
      held: [...this.state.running.values()].map((r) => ({ tag: r.tag, pct: r.pct, text: r.text })),
    });
  }

  /**
   * Edits the status message (the heartbeat), or posts it when there is none yet. Asked while one is
   * on its way, it sends once more afterwards: that one may say "busy" when a slot just came free.
   */
  async send(): Promise<void> {
    if (!this.state.connected) return;
    if (this.sayingHello) {
      this.helloAgain = true;
      return;
    }
    this.sayingHello = true;
    try {
      await this.sendOnce();
    } finally {
      this.sayingHello = false;
      if (this.helloAgain) {
        this.helloAgain = false;
        void this.send();
      }
    }
  }

  private async sendOnce(): Promise<void> {
    const { o, budget } = this.state;
    this.beat += 1;
    const text = this.helloText();
    if (this.status && o.port.edit) {
      if (!budget.take('out')) return;
      try {
        await o.port.edit(this.status, { text });
        this.lastBeatAt = Date.now();
        return;
      } catch (err) {
        if (!(err instanceof ChatError && err.permanent)) {
          // Tried again next period, not at once: an outage must not burn the budget.
          this.lastBeatAt = Date.now();
          o.log.warn('remote agent: heartbeat not sent', { reason: describeError(err) });
          return;
        }
        this.status = undefined; // the status message is gone: post a new one
      }
    }
    if (!budget.take('out')) return;
    try {
      this.status = await o.port.send({
        text,
        nonce: `hello-${o.id}-${Date.now()}`.slice(0, 25),
      });
      this.lastBeatAt = Date.now();
    } catch (err) {
      this.lastBeatAt = Date.now();
      o.log.warn('remote agent: hello not sent', { reason: describeError(err) });
    }
  }
}
