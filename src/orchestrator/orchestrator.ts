import { randomBytes } from 'node:crypto';
import type { ChatPort, IncomingMessage } from '../chat/chat-port.ts';
import { handleIncoming, type AdminPolicy } from '../commands/command-handler.ts';
import { handlePromptReply } from '../commands/interaction-prompts.ts';
import { ReplyLimiter, type ReplyLimits } from '../commands/reply-limiter.ts';
import { ChatError, describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { RemoteArbiter, type ArbiterOptions } from '../remote/remote-arbiter.ts';
import { answerInteraction } from './answer-interaction.ts';
import { CheckpointKeeper } from './checkpoint-keeper.ts';
import { OutboxPoster } from './outbox-poster.ts';
import type { PosterOptions } from './poster-options.ts';
import { StaffingWatch } from './staffing-watch.ts';

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
  /** Inbox retention and reply limits; see `INBOX_DEFAULTS`. */
  inbox?: Partial<InboxOptions>;
  /**
   * How often the channel's checkpoint message is brought up to the ledger's head (it is also
   * written at start and at stop); off when absent or 0, or when the platform keeps no checkpoint.
   */
  checkpointIntervalMs?: number;
  /**
   * Agents on other hosts that join through the channel (see docs/remote-agents.md): their bots'
   * protocol messages go to a `RemoteArbiter` instead of the command handler.
   */
  remote?: Pick<ArbiterOptions, 'agents' | 'handle' | 'workDir' | 'settings'>;
}

/** How long the inbox remembers messages, and how many replies one person may draw. */
export interface InboxOptions {
  /** Inbox rows older than this are pruned; at least `MIN_INBOX_RETENTION_MS`. */
  retentionMs: number;
  pruneIntervalMs: number;
  /** Per person who is not an admin; see `ReplyLimiter`. */
  replyLimits: Partial<ReplyLimits>;
}

const DAY_MS = 86_400_000;

/**
 * The inbox is how a redelivered message is recognised and applied once. Telegram redelivers
 * unconfirmed updates for up to 24 hours, and Discord's catch-up re-reads history after the last
 * message id it saved, so a row must outlive both: two days is the floor. Older messages that still
 * arrive (a catch-up after a longer outage) are not applied at all (see `handleIncoming`).
 */
export const MIN_INBOX_RETENTION_MS = 2 * DAY_MS;

export const INBOX_DEFAULTS = {
  retentionMs: 14 * DAY_MS,
  pruneIntervalMs: 3_600_000,
  replyLimits: {},
} as const satisfies InboxOptions;

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
  /** Arbitrates remote agents' claims and results, when any are configured. */
  readonly remote: RemoteArbiter | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private pruner: NodeJS.Timeout | undefined;
  private readonly inbox: InboxOptions;
  private readonly replyLimiter: ReplyLimiter;
  private started = false;
  private readonly staffing: StaffingWatch;
  private connected = false;
  private reconnect: NodeJS.Timeout | undefined;
  private readonly deferred = new Set<NodeJS.Timeout>();

  constructor(private readonly options: OrchestratorOptions) {
    this.inbox = { ...INBOX_DEFAULTS, ...options.inbox };
    if (!(this.inbox.retentionMs >= MIN_INBOX_RETENTION_MS)) {
      throw new RangeError(
        `inbox retention must be at least ${MIN_INBOX_RETENTION_MS / DAY_MS} days (messages are redelivered for up to a day)`,
      );
    }
    this.replyLimiter = new ReplyLimiter(this.inbox.replyLimits, () => options.ledger.core.now());
    this.staffing = new StaffingWatch(options.ledger, options.log);
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
    const { port } = options;
    this.remote = options.remote?.agents.length
      ? new RemoteArbiter({
          ...options.remote,
          ledger: options.ledger,
          channel: options.channel,
          platform: port.platform,
          log: options.log,
          maxTextChars: port.limits.maxTextLength,
          ...(port.download ? { download: port.download.bind(port) } : {}),
          kick: () => this.poster.kick(),
        })
      : undefined;
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
    // Before the checkpoint keeper and the poster look up messages they posted.
    this.poster.followDestination();
    this.poster.start();
    // Before the first lease sweep: remote attempts get the lease the orchestrator's downtime took.
    this.remote?.start();
    const every = this.options.sweepIntervalMs ?? Math.max(200, Math.floor(ledger.options.leaseMs / 4));
    this.sweeper = setInterval(() => this.sweep(), every);
    this.pruneInbox();
    this.pruner = setInterval(() => this.pruneInbox(), this.inbox.pruneIntervalMs);
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

  /** Requeues (or fails) claims whose agents went silent; refreshes status lines if who is online changed. */
  sweep(): number {
    if (this.staffing.check() > 0) this.poster.kick();
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

  /** Deletes inbox rows older than the retention; a failure is logged and the next run tries again. */
  pruneInbox(): number {
    const { ledger, log } = this.options;
    try {
      const n = ledger.inbox.pruneBefore(ledger.core.now() - this.inbox.retentionMs);
      if (n) log.info('inbox pruned', { rows: n, retentionDays: this.inbox.retentionMs / DAY_MS });
      return n;
    } catch (err) {
      log.error('inbox prune failed; retrying later', { error: describeError(err) });
      return 0;
    }
  }

  /** Never throws: a message that breaks something costs a log line, not the orchestrator. */
  async onMessage(msg: IncomingMessage, tries = 0): Promise<void> {
    if (msg.interaction) {
      const { ledger, channel, admins, log } = this.options;
      await answerInteraction(
        { ledger, channel, admins, log, kick: () => this.poster.kick() },
        { ...msg, interaction: msg.interaction },
      );
      return;
    }
    try {
      if (this.remote && (await this.remote.handle(msg))) {
        this.poster.kick();
        return;
      }
      const promptReply = handlePromptReply(
        this.options.ledger,
        this.options.channel,
        this.options.admins,
        msg,
        this.replyLimiter,
      );
      if (promptReply !== undefined) {
        this.poster.kick();
        return;
      }
      const final = tries >= DEFER_TRIES;
      const outcome = handleIncoming(this.options.ledger, this.options.channel, this.options.admins, msg, {
        final,
        replyLimiter: this.replyLimiter,
        inboxRetentionMs: this.inbox.retentionMs,
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
    this.remote?.stop();
    if (this.sweeper) clearInterval(this.sweeper);
    if (this.pruner) clearInterval(this.pruner);
    this.pruner = undefined;
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
