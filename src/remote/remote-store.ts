import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { CursorStore } from '../chat/chat-port.ts';
import { ConfigError } from '../core/errors.ts';

/** A result not yet acknowledged by the orchestrator: kept until it is, or until it is refused. */
const pendingSchema = z.object({
  tag: z.string(),
  outcome: z.enum(['ok', 'fail']),
  /** Inline text, when the result fits one message. */
  text: z.string().optional(),
  /** File name of the bundle (in the store's folder), when it does not. */
  bundle: z.string().optional(),
  /** When it was last sent (ms), 0 before the first try. */
  sentAt: z.number(),
  tries: z.number(),
});
/** A result not yet acknowledged by the orchestrator: kept until it is, or until it is refused. */
export type PendingResult = z.infer<typeof pendingSchema>;

const fileSchema = z.object({
  version: z.literal(1),
  pending: z.array(pendingSchema),
  cursors: z.record(z.string(), z.string()),
  /** Tags this agent finished (result acknowledged, refused or stopped): a late grant for one is refused. */
  finished: z.array(z.string()),
});
type StoreFile = z.infer<typeof fileSchema>;

const MAX_FINISHED = 500;

/**
 * The remote agent's only durable state: a small JSON file in its work folder (written whole to a
 * temporary file and renamed, so a crash leaves the old or the new version, never half of one),
 * plus the bundle files of undelivered results beside it. No ledger: the orchestrator's is the truth.
 */
export class RemoteStore {
  private data: StoreFile;
  private readonly file: string;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.file = join(dir, 'remote-agent.json');
    this.data = this.load();
  }

  private load(): StoreFile {
    let raw: string;
    try {
      raw = readFileSync(this.file, 'utf8');
    } catch {
      return { version: 1, pending: [], cursors: {}, finished: [] };
    }
    try {
      return fileSchema.parse(JSON.parse(raw));
    } catch (cause) {
      throw new ConfigError(
        `${this.file} is damaged; move it away to start afresh (undelivered results in it are lost)`,
        { cause },
      );
    }
  }

  private save(): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data), { mode: 0o600 });
    renameSync(tmp, this.file);
  }

  pending(): PendingResult[] {
    return this.data.pending.map((p) => ({ ...p }));
  }

  /** Keeps a result (and its bundle content, when any) until the orchestrator acknowledges it. */
  addPending(result: Omit<PendingResult, 'sentAt' | 'tries'>, bundle?: Buffer): void {
    if (bundle && result.bundle) writeFileSync(join(this.dir, result.bundle), bundle, { mode: 0o600 });
    this.data.pending = [
      ...this.data.pending.filter((p) => p.tag !== result.tag),
      { ...result, sentAt: 0, tries: 0 },
    ];
    this.save();
  }

  bundlePath(name: string): string {
    return join(this.dir, name);
  }

  markSent(tag: string, at: number): void {
    const p = this.data.pending.find((x) => x.tag === tag);
    if (!p) return;
    p.sentAt = at;
    p.tries += 1;
    this.save();
  }

  /** Forgets a result (acknowledged or refused) and remembers the attempt as finished. */
  settle(tag: string): void {
    const p = this.data.pending.find((x) => x.tag === tag);
    if (p?.bundle) rmSync(join(this.dir, p.bundle), { force: true });
    this.data.pending = this.data.pending.filter((x) => x.tag !== tag);
    this.markFinished(tag);
  }

  markFinished(tag: string): void {
    if (!this.data.finished.includes(tag))
      this.data.finished = [...this.data.finished, tag].slice(-MAX_FINISHED);
    this.save();
  }

  isFinished(tag: string): boolean {
    return this.data.finished.includes(tag) || this.data.pending.some((p) => p.tag === tag);
  }

  /** The adapter's cursors (Discord's last seen message), kept in the same file. */
  readonly cursors: CursorStore = {
    get: (key) => this.data.cursors[key],
    set: (key, value) => {
      if (this.data.cursors[key] === value) return;
      this.data.cursors[key] = value;
      this.save();
    },
  };
}
