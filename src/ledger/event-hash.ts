import { createHash } from 'node:crypto';

/** Hash of the chain's start: the previous hash of the first event. */
export const GENESIS_HASH = '0'.repeat(64);

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

/** SHA-256 over the previous hash and the event's fields, so editing any stored event breaks the chain. */
export function hashEvent(prevHash: string, e: HashedEventFields): string {
  return createHash('sha256')
    .update(prevHash)
    .update('\n')
    .update(JSON.stringify([e.seq, e.at, e.type, e.taskId, e.agentId, e.actor, e.dataJson]))
    .digest('hex');
}
