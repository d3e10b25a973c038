/** Base class for every error chat-swarm raises on purpose; `code` is stable for scripts and logs. */
export class SwarmError extends Error {
  override name = 'SwarmError';
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A configuration file or environment problem, with the field and the fix in the message. */
export class ConfigError extends SwarmError {
  override name = 'ConfigError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('config', message, options);
  }
}

/** A ledger operation refused for a reason the caller can act on (unknown task, bad transition). */
export class LedgerError extends SwarmError {
  override name = 'LedgerError';
}

/**
 * A chat platform call that failed. `permanent` errors are not retried (bad chat id, no permission,
 * message too long); transient ones are retried with backoff, no sooner than `retryAfterMs`.
 */
export class ChatError extends SwarmError {
  override name = 'ChatError';
  readonly permanent: boolean;
  readonly retryAfterMs: number | undefined;
  readonly platformCode: string | number | undefined;
  constructor(
    message: string,
    opts: {
      permanent: boolean;
      retryAfterMs?: number;
      platformCode?: string | number;
      cause?: unknown;
    },
  ) {
    super(opts.permanent ? 'chat_permanent' : 'chat_transient', message, { cause: opts.cause });
    this.permanent = opts.permanent;
    this.retryAfterMs = opts.retryAfterMs;
    this.platformCode = opts.platformCode;
  }
}

/** Short human-readable text for any thrown value, safe to show in the channel. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
