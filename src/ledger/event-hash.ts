import { hash } from 'node:crypto';
import type { AuditKey } from './audit-key.ts';

/** Hash of the chain's start: the previous hash of the first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** Type of the event a keyed writer appends once, before its first keyed event (see audit-key.ts). */
export const CHAIN_KEYED_EVENT = 'chain_keyed';

/** Fields of an event that the hash covers (everything but the hash itself and the mirror flag). */
export interface HashedEventFields {
  seq: number;
  at: number;
  type: string;
  taskId: string | null;
  agentId: string | null;
  actor: string;
  /** The JSON text exactly as stored. */
  dataJson: string;
}

/**
 * The hash of an event over the previous hash and its fields, so editing any stored event breaks the
 * chain: SHA-256, or HMAC-SHA256 with the audit key for events of a keyed chain.
 */
export function hashEvent(prevHash: string, e: HashedEventFields, key?: AuditKey): string {
  const message = `${prevHash}\n${JSON.stringify([e.seq, e.at, e.type, e.taskId, e.agentId, e.actor, e.dataJson])}`;
  return key ? key.mac(message) : hash('sha256', message, 'hex');
}
