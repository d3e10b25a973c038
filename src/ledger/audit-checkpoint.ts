import type Database from 'better-sqlite3';

/**
 * A checkpoint: the chain head (event number and hash) written down outside the ledger file, so
 * that deleting the newest events or rewriting older ones can be told from an honest ledger.
 * The orchestrator keeps one in the channel (a pinned message); a person may copy one by hand.
 */
export interface Checkpoint {
  seq: number;
  hash: string;
  /** When it was written (ms since the epoch), when known. */
  at?: number;
}

/** How a checkpoint compares with the ledger. */
export interface CheckpointCheck {
  checkpoint: Checkpoint;
  /** Where it came from (`channel`, `--checkpoint`). */
  source: string;
  /** Events in the ledger after the checkpoint's. */
  eventsAfter: number;
  problems: string[];
}

// Not `SEQ:HASH` in messages: from six digits on that reads like a Telegram bot token to maskers.
const CHECKPOINT_RE = /checkpoint: event (\d{1,15}) hash ([0-9a-f]{64})(?: at (\d{4}-\d\d-\d\dT[\d:.]+Z))?/;
const BY_HAND_RE = /^\s*(\d{1,15}):([0-9a-f]{64})\s*$/;

/** The text of the checkpoint message: one parseable line, then what it is for. */
export function formatCheckpoint(cp: Required<Checkpoint>): string {
  return (
    `chat-swarm checkpoint: event ${cp.seq} hash ${cp.hash} at ${new Date(cp.at).toISOString()}\n` +
    `The ledger's event ${cp.seq} has this hash; chat-swarm audit --channel checks the ledger against it. Keep this message pinned.`
  );
}

/** The checkpoint in a message's text, or undefined when the text holds none. */
export function parseCheckpoint(text: string): Checkpoint | undefined {
  const m = CHECKPOINT_RE.exec(text);
  if (!m) return undefined;
  const at = m[3] === undefined ? NaN : Date.parse(m[3]);
  return { seq: Number(m[1]), hash: m[2]!, ...(Number.isFinite(at) ? { at } : {}) };
}

/** A checkpoint typed by hand as `SEQ:HASH` (64 hex digits) or copied from the message, or undefined. */
export function parseCheckpointArg(text: string): Checkpoint | undefined {
  const m = BY_HAND_RE.exec(text.toLowerCase());
  return m ? { seq: Number(m[1]), hash: m[2]! } : parseCheckpoint(text);
}

/** The newest checkpoint among several messages' texts: the one with the highest event number. */
export function newestCheckpoint(texts: readonly string[]): Checkpoint | undefined {
  let best: Checkpoint | undefined;
  for (const t of texts) {
    const cp = parseCheckpoint(t);
    if (cp && (!best || cp.seq > best.seq)) best = cp;
  }
  return best;
}

/** Why the ledger does not hold the checkpoint's event with its hash, or undefined when it does. */
export function checkpointMismatch(db: Database.Database, cp: Checkpoint): string | undefined {
  const at = db.prepare('SELECT hash FROM events WHERE seq = ?').get(cp.seq) as { hash: string } | undefined;
  const short = (h: string): string => `${h.slice(0, 12)}…`;
  if (!at) {
    const last = (db.prepare('SELECT MAX(seq) AS s FROM events').get() as { s: number | null }).s ?? 0;
    return last < cp.seq
      ? `the checkpoint names event ${cp.seq} but the ledger ends at event ${last}: newer events were deleted (or this is an older copy of the ledger)`
      : `the checkpoint names event ${cp.seq} but the ledger has no such event: events were deleted`;
  }
  if (at.hash !== cp.hash)
    return `event ${cp.seq} has hash ${short(at.hash)} but the checkpoint says ${short(cp.hash)}: the events up to ${cp.seq} were rewritten`;
  return undefined;
}

/** Compares the ledger with a checkpoint; the chain walk checks that the log continues from it. */
export function checkCheckpoint(db: Database.Database, cp: Checkpoint, source: string): CheckpointCheck {
  const mismatch = checkpointMismatch(db, cp);
  const after = (db.prepare('SELECT COUNT(*) AS n FROM events WHERE seq > ?').get(cp.seq) as { n: number }).n;
  return { checkpoint: cp, source, eventsAfter: after, problems: mismatch ? [mismatch] : [] };
}
