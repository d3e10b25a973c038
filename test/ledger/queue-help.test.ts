/**
 * The poster's call for help with the outbox (src/ledger/queue-help.ts): a file beside the ledger
 * whose time the poster sets when it is kept from the write lock, read by agents before they queue
 * a batch in their own commit.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HELP_WANTED_MS, QueueHelpSignal, queueHelpPath } from '../../src/ledger/queue-help.ts';
import { ledgerAt, tempDir } from '../support/temp-ledger.ts';

describe('queue help signal', () => {
  it('is wanted after a call, for a while, and not before one', () => {
    const path = join(tempDir(), 'swarm.db');
    ledgerAt(path).close();
    expect(new QueueHelpSignal(path).wanted()).toBe(false);
    new QueueHelpSignal(path).call();
    expect(statSync(queueHelpPath(path)).mode & 0o777).toBe(0o600);
    expect(new QueueHelpSignal(path).wanted()).toBe(true);
    // A call older than HELP_WANTED_MS is over (a new reader: each looks at most every 100 ms).
    const old = (Date.now() - HELP_WANTED_MS - 1_000) / 1000;
    utimesSync(queueHelpPath(path), old, old);
    expect(new QueueHelpSignal(path).wanted()).toBe(false);
    // So is one from a clock far ahead (stepped back since): it does not hold for hours.
    const ahead = (Date.now() + 3_600_000) / 1000;
    utimesSync(queueHelpPath(path), ahead, ahead);
    expect(new QueueHelpSignal(path).wanted()).toBe(false);
  });

  it('a read-only or in-memory ledger never asks nor is asked, and makes no file', () => {
    const path = join(tempDir(), 'swarm.db');
    ledgerAt(path).close();
    const readonly = ledgerAt(path, { readonly: true });
    readonly.core.callForQueueHelp();
    expect(readonly.core.queueHelpWanted()).toBe(false);
    expect(existsSync(queueHelpPath(path))).toBe(false);
    const memory = ledgerAt(':memory:');
    memory.core.callForQueueHelp();
    expect(memory.core.queueHelpWanted()).toBe(false);
  });

  it('a link planted at its path is not followed: the target keeps its bytes, time and mode', () => {
    const dir = tempDir();
    const path = join(dir, 'swarm.db');
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'ssh-ed25519 AAAA');
    chmodSync(victim, 0o644);
    const before = Math.floor(Date.now() / 1000) - 60; // whole seconds: exact in any float
    utimesSync(victim, before, before);
    symlinkSync(victim, queueHelpPath(path));
    const signal = new QueueHelpSignal(path);
    signal.call();
    expect(readFileSync(victim, 'utf8')).toBe('ssh-ed25519 AAAA');
    expect(statSync(victim).mode & 0o777).toBe(0o644);
    expect(statSync(victim).mtimeMs).toBe(before * 1000);
    // A link whose target was just written does not count as a call either.
    writeFileSync(victim, 'fresh');
    expect(new QueueHelpSignal(path).wanted()).toBe(false);
  });

  it('a FIFO at its path neither blocks nor fails a call, and is no call', () => {
    const path = join(tempDir(), 'swarm.db');
    execFileSync('mkfifo', [queueHelpPath(path)]);
    const signal = new QueueHelpSignal(path);
    signal.call(); // an open for writing would wait for a reader forever
    expect(signal.wanted()).toBe(false);
  });
});
