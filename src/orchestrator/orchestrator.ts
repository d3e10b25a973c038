import { randomBytes } from 'node:crypto';
import type { ChatPort, IncomingMessage } from '../chat/chat-port.ts';
import { handleIncoming, type AdminPolicy } from '../commands/command-handler.ts';
import { ChatError, describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { CheckpointKeeper } from './checkpoint-keeper.ts';
import { OutboxPoster } from './outbox-poster.ts';
import type { PosterOptions } from './poster-options.ts';

export interface OrchestratorOptions {
  ledger: Ledger;
  port: ChatPort;
  /** The channel's name in the config; the outbox addresses rows to it. */
  channel: string;
  admins: AdminPolicy;
  log: Logger;
  poster?: Partial<PosterOptions>;
  /** How often expired leases are looked for. */
  sweepIntervalMs?: number;
  /**
   * How often the channel's checkpoint message is brought up to the ledger's head (it is also
   * written at start and at stop); off when absent or 0, or when the platform keeps no checkpoint.
   */
  checkpointIntervalMs?: number;
}

/** How often, and how far apart, a reply to a not-yet-recorded message is looked at again. */
const DEFER_TRIES = 10;
const DEFER_MS = 300;

/** The ledger's random id, made once, so Discord nonces from two swarms sharing a bot never collide. */
export function swarmIdOf(ledger: Ledger): string {
  let id = ledger.getKv('swarm_id');
  if (!id) {
    id = randomBytes(4).toString('hex');
    ledger.setKv('swarm_id', id);
  }
  return id;
}

/**
 * The orchestrator: the only listener on the chat platform. Applies people's messages to the ledger
 * (once each), requeues expired leases, and mirrors the ledger into the channel through the poster.
 */
export class Orchestrator {
  readonly poster: OutboxPoster;
  /** Keeps the ledger's checkpoint in the channel, when configured and the platform can. */
  readonly checkpoints: CheckpointKeeper | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private started = false;
  private connected = false;
  private reconnect: NodeJS.Timeout | undefined;
  private readonly deferred = new Set<NodeJS.Timeout>();

  constructor(private readonly options: OrchestratorOptions) {
    this.poster = new OutboxPoster(
      {
        ledger: options.ledger,
        port: options.port,
        channel: options.channel,
        log: options.log,
        swarmId: swarmIdOf(options.ledger),
      },
      options.poster,
    );
    const board = options.port.checkpoint;
    if (board && options.checkpointIntervalMs)
      this.checkpoints = new CheckpointKeeper({
        ledger: options.ledger,
        board,
        log: options.log,
        intervalMs: options.checkpointIntervalMs,
      });
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { ledger } = this.options;
    ledger.setChannels([this.options.channel]);
    this.poster.start();
    const every = this.options.sweepIntervalMs ?? Math.max(200, Math.floor(ledger.options.leaseMs / 4));
    this.sweeper = setInterval(() => this.sweep(), every);
    try {
      await this.connect(0);
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /**
   * Connects to the platform. When it cannot be reached (a transient error), the swarm keeps
   * working from the ledger and the connection is retried in the background with backoff.
   */
  private async connect(failures: number): Promise<void> {
    const { port, log } = this.options;
    try {
      await port.start((msg) => this.onMessage(msg));
      this.connected = true;
      log.info('orchestrator listening', { platform: port.platform, channel: this.options.channel });
      this.checkpoints?.start();
    } catch (err) {
      if (!(err instanceof ChatError) || err.permanent || !this.started) throw err;
      const waitMs = Math.min(30_000, 1_000 * 2 ** failures);
      log.warn('chat platform unreachable; agents keep working, retrying the connection', {
        platform: port.platform,
        retryInMs: waitMs,
        reason: describeError(err),
      });
      this.reconnect = setTimeout(() => {
        this.reconnect = undefined;
        if (this.started)
          this.connect(failures + 1).catch((e: unknown) =>
            log.error('could not connect', { error: describeError(e) }),
          );
      }, waitMs);
    }
  }

  /** Requeues (or fails) claims whose agents went silent. */
  sweep(): number {
    try {
      const n = this.options.ledger.expireLeases();
      if (n) {
        this.options.log.warn('leases expired', { count: n });
        this.poster.kick();
      }
      return n;
    } catch (err) {
      this.options.log.error('lease sweep failed', { error: describeError(err) });
      return 0;
    }
  }

  /** Never throws: a message that breaks something costs a log line, not the orchestrator. */
  async onMessage(msg: IncomingMessage, tries = 0): Promise<void> {
    try {
      const final = tries >= DEFER_TRIES;
      const outcome = handleIncoming(this.options.ledger, this.options.channel, this.options.admins, msg, {
        final,
      });
      this.options.log.debug('message handled', { messageId: msg.messageId, outcome });
      if (outcome === 'deferred') {
        const timer = setTimeout(() => {
          this.deferred.delete(timer);
          void this.onMessage(msg, tries + 1);
        }, DEFER_MS);
        this.deferred.add(timer);
      }
      this.poster.kick();
    } catch (err) {
      this.options.log.error('could not handle a message', {
        messageId: msg.messageId,
        error: describeError(err),
      });
    }
  }

  /** Stops listening and posting. Pending posts stay in the outbox and go out after the next start. */
  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    if (this.reconnect) clearTimeout(this.reconnect);
    for (const timer of this.deferred) clearTimeout(timer);
    this.deferred.clear();
    this.sweeper = undefined;
    this.reconnect = undefined;
    this.started = false;
    try {
      // The last checkpoint goes out while the channel is still connected.
      if (this.connected) await this.checkpoints?.stop();
      if (this.connected) await this.options.port.stop();
    } finally {
      this.connected = false;
      await this.poster.stop();
    }
  }
}
