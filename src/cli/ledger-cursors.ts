import type { CursorStore } from '../chat/chat-port.ts';
import type { Ledger } from '../ledger/ledger.ts';

/** Lends adapters a durable key-value store in the ledger (last seen message ids and the like). */
export function ledgerCursorStore(ledger: Ledger, prefix: string): CursorStore {
  return {
    get: (key) => ledger.getKv(`cursor:${prefix}:${key}`),
    set: (key, value) => ledger.setKv(`cursor:${prefix}:${key}`, value),
  };
}
