import type { NamedSecret } from '../core/secret-masker.ts';
import { systemClock, type Clock } from '../core/types.ts';
import { createAuditKey, type AuditKey } from './audit-key.ts';
import { LEDGER_DEFAULTS, type LedgerOptions } from './ledger-core.ts';
import type { OpenDatabaseOptions } from './open-database.ts';

/** How `Ledger.open` opens a ledger: the database's settings, the tunables, the clock, secrets and key. */
export interface OpenLedgerOptions extends OpenDatabaseOptions, Partial<LedgerOptions> {
  clock?: Clock;
  /**
   * Secrets masked by value in every text the ledger stores (titles, bodies, results, errors,
   * questions, progress, notes, answers, reasons, feedback). Token shapes are masked even without any.
   */
  secrets?: readonly NamedSecret[];
  /**
   * The audit key's secret (SWARM_AUDIT_KEY, read by the CLI): events this process writes are
   * HMAC-chained, and `audit` verifies keyed events. Empty or undefined means no key.
   */
  auditKey?: string | undefined;
}

/** {@link OpenLedgerOptions} sorted out: what the database gets, the tunables with defaults, and the rest. */
export interface ResolvedLedgerOptions {
  dbOptions: OpenDatabaseOptions;
  tunables: LedgerOptions;
  clock: Clock;
  secrets: readonly NamedSecret[];
  key: AuditKey | undefined;
}

/**
 * Sorts the options out, filling in defaults; throws for a bad audit key. Call it before the file
 * is opened, so a bad key never leaves a database handle behind.
 */
export function resolveLedgerOptions(options: OpenLedgerOptions): ResolvedLedgerOptions {
  const { clock, synchronous, busyTimeoutMs, readonly, secrets, auditKey, ...rest } = options;
  const key = auditKey ? createAuditKey(auditKey) : undefined;
  const tunables: LedgerOptions = { ...LEDGER_DEFAULTS };
  for (const [k, v] of Object.entries(rest))
    if (v !== undefined) (tunables as unknown as Record<string, unknown>)[k] = v;
  const dbOptions: OpenDatabaseOptions = {};
  if (synchronous !== undefined) dbOptions.synchronous = synchronous;
  if (busyTimeoutMs !== undefined) dbOptions.busyTimeoutMs = busyTimeoutMs;
  if (readonly !== undefined) dbOptions.readonly = readonly;
  return { dbOptions, tunables, clock: clock ?? systemClock, secrets: secrets ?? [], key };
}
