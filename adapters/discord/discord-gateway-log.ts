/**
 * Says what the gateway connection is doing while discord.js retries quietly: every close with its
 * code and what to do, every refused connection, and a line every so often while the first
 * connection still is not ready. Repeats of one code within `repeatWindowMs` go to debug, with the
 * count carried into the next line that is shown.
 * @see https://discord.com/developers/docs/topics/opcodes-and-status-codes#gateway-gateway-close-event-codes
 */
import { SimpleShardingStrategy, type ClientOptions } from 'discord.js';
import { describeError } from '../../src/core/errors.ts';
import type { Logger } from '../../src/core/logger.ts';
import { describeGatewayClose, type GatewayClose } from './gateway-close-codes.ts';
import { scrubSecrets } from './to-chat-error.ts';

type BuildStrategy = NonNullable<NonNullable<ClientOptions['ws']>['buildStrategy']>;
type GatewayManager = Parameters<BuildStrategy>[0];

/** Hooks for one client's gateway connection; see the file comment. */
export interface GatewayWatch {
  /** Give to `new Client({ ws: { buildStrategy } })`: hears every close before discord.js acts on it. */
  buildStrategy: BuildStrategy;
  /** Give to `client.on(Events.ShardError, …)`: a connection that failed (e.g. the upgrade was refused). */
  onError: (err: Error) => void;
  /** Starts the "still connecting" lines, until `connected()` or `stop()`. */
  waitingForReady(): void;
  connected(): void;
  /** The last close code Discord sent, explained; undefined before any. */
  lastClose(): GatewayClose | undefined;
  /**
   * Stops logging (our own disconnect is not news), clears every timer, and keeps the connection
   * from coming back: call before `client.destroy()`.
   */
  stop: () => void;
}

export const DEFAULT_GATEWAY_WATCH = { repeatWindowMs: 10_000, stillConnectingMs: 15_000 } as const;

/** discord.js's own code for "closing to resume", not something Discord sent. */
const RESUMING_CLOSE = 4200;

export function watchGateway(deps: {
  log: Logger;
  secrets: readonly string[];
  repeatWindowMs?: number;
  stillConnectingMs?: number;
}): GatewayWatch {
  const { log } = deps;
  const repeatWindowMs = deps.repeatWindowMs ?? DEFAULT_GATEWAY_WATCH.repeatWindowMs;
  const stillConnectingMs = deps.stillConnectingMs ?? DEFAULT_GATEWAY_WATCH.stillConnectingMs;
  const shown = new Map<string, { at: number; hidden: number }>();
  let last: GatewayClose | undefined;
  let closes = 0;
  let stopped = false;
  let everConnected = false;
  let waitTimer: NodeJS.Timeout | undefined;
  let waitingSince = 0;
  let manager: GatewayManager | undefined;

  /** Logs at `level` unless the same key was shown within the window (then at debug, counted). */
  const say = (
    key: string,
    level: 'info' | 'warn' | 'error',
    msg: string,
    fields: Record<string, unknown>,
  ): void => {
    const now = Date.now();
    const seen = shown.get(key);
    if (level !== 'error' && seen && now - seen.at < repeatWindowMs) {
      seen.hidden += 1;
      log.debug(msg, fields);
      return;
    }
    const repeats = seen?.hidden ?? 0;
    shown.set(key, { at: now, hidden: 0 });
    log[level](msg, repeats > 0 ? { ...fields, sameSinceLastLine: repeats } : fields);
  };

  const onClose = (code: number): void => {
    if (stopped) return;
    if (code === RESUMING_CLOSE) {
      log.debug('discord: gateway connection closed to resume the session');
      return;
    }
    const close = describeGatewayClose(code);
    last = close;
    closes += 1;
    const msg = `discord: the gateway closed the connection with ${code} (${close.name}): ${close.advice}`;
    // Once connected, Discord closes routinely and discord.js resumes: worth a line, not a warning.
    say(`close:${code}`, close.fatal ? 'error' : everConnected ? 'info' : 'warn', msg, { code });
  };

  const clearWait = (): void => {
    clearInterval(waitTimer);
    waitTimer = undefined;
  };

  return {
    buildStrategy: (wsManager) => {
      manager = wsManager;
      wsManager.on('closed', ({ code }: { code: number }) => onClose(code));
      return new SimpleShardingStrategy(wsManager);
    },
    onError(err) {
      if (stopped) return;
      const reason = scrubSecrets(describeError(err), deps.secrets);
      say(`error:${reason}`, 'warn', `discord: could not connect to the gateway: ${reason}; retrying`, {});
    },
    waitingForReady() {
      clearWait();
      waitingSince = Date.now();
      waitTimer = setInterval(() => {
        const waitedS = Math.round((Date.now() - waitingSince) / 1_000);
        log.warn(`discord: still connecting to the gateway after ${waitedS} s`, {
          closes,
          ...(last ? { lastClose: `${last.code} (${last.name}): ${last.advice}` } : {}),
        });
      }, stillConnectingMs);
    },
    connected() {
      clearWait();
      everConnected = true;
      if (closes > 0) log.info('discord: gateway connected', { afterCloses: closes });
      closes = 0;
    },
    lastClose: () => last,
    stop() {
      stopped = true;
      clearWait();
      // A shard that was sleeping before a reconnect when destroy() ran reconnects anyway (its
      // destroy does not cancel that sleep), and against a gateway that keeps closing it loops for
      // ever. Every reconnect first asks for the session: let that question never be answered.
      if (manager) manager.options.retrieveSessionInfo = () => new Promise<never>(() => {});
    },
  };
}
