import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { ConfigError } from '../core/errors.ts';

/**
 * The optional audit key (SWARM_AUDIT_KEY): events written while it is set are chained with
 * HMAC-SHA256 instead of SHA-256, so nobody without the key can rewrite the chain consistently.
 * The secret lives in a KeyObject inside a closure: it is never printed, logged or stored.
 */
export interface AuditKey {
  /** A short public fingerprint (HMAC of a fixed text), stored in the `chain_keyed` event. */
  readonly id: string;
  /** HMAC-SHA256 of `message`, hex. */
  mac(message: string): string;
}

/** Shortest accepted key: shorter secrets could be guessed offline from any stored event. */
export const MIN_AUDIT_KEY_LENGTH = 16;

/** Builds the key from the secret's text; a too-short secret is a ConfigError (the secret is never shown). */
export function createAuditKey(secret: string): AuditKey {
  if (secret.length < MIN_AUDIT_KEY_LENGTH) {
    throw new ConfigError(
      `SWARM_AUDIT_KEY is too short: use at least ${MIN_AUDIT_KEY_LENGTH} characters (for example the output of \`openssl rand -hex 32\`)`,
    );
  }
  const key: KeyObject = createSecretKey(Buffer.from(secret, 'utf8'));
  const mac = (message: string): string => createHmac('sha256', key).update(message).digest('hex');
  const id = mac('chat-swarm audit key id').slice(0, 16);
  return { id, mac };
}
