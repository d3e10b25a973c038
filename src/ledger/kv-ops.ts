import type { LedgerCore } from './ledger-core.ts';

/** The value stored under `key`, if any. */
export function getKv(core: LedgerCore, key: string): string | undefined {
  return (core.sql('SELECT value FROM kv WHERE key = ?').get(key) as { value: string } | undefined)?.value;
}

/** Stores `value` under `key`, replacing what was there. */
export function setKv(core: LedgerCore, key: string, value: string): void {
  core
    .sql('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value')
    .run(key, value);
}

/** Whether a person paused the whole swarm (its switch in the key-value table). */
export function isSwarmPaused(core: LedgerCore): boolean {
  const row = core.sql("SELECT value FROM kv WHERE key = 'swarm_paused'").get() as
    { value: string } | undefined;
  return row?.value === '1';
}
