import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectArtifacts } from '../../src/agents/artifact-collector.ts';
import { createAttemptFolder, isInside } from '../../src/agents/attempt-folder.ts';
import { tempDir } from '../support/temp-ledger.ts';

const limits = { maxArtifactBytes: 1_000, maxArtifactTotalBytes: 1_500 };
const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

function setup() {
  const base = tempDir();
  const workDir = createAttemptFolder(join(base, 'tasks'), 'T-1', 1);
  const destRoot = join(base, 'artifacts');
  let made = 0;
  const destDir = () => {
    made++;
    return createAttemptFolder(destRoot, 'T-1', 1);
  };
  writeFileSync(join(base, 'outside.txt'), 'outside secret');
  return { base, workDir, destRoot, destDir, made: () => made };
}

describe('artifact collection', () => {
  it('copies regular files inside the attempt folder out to a private folder, with size and sha256', async () => {
    const s = setup();
    mkdirSync(join(s.workDir, 'out'));
    writeFileSync(join(s.workDir, 'report.txt'), 'the report');
    writeFileSync(join(s.workDir, 'out', 'chart.svg'), '<svg/>');
    const { records, refused } = await collectArtifacts(['report.txt', join(s.workDir, 'out/chart.svg')], {
      workDir: s.workDir,
      destDir: s.destDir,
      limits,
    });
    expect(refused).toEqual([]);
    expect(records.map((r) => [r.name, r.bytes, r.sha256])).toEqual([
      ['report.txt', 10, sha('the report')],
      ['chart.svg', 6, sha('<svg/>')],
    ]);
    for (const r of records) {
      expect(isInside(s.destRoot, r.path)).toBe(true);
      expect(isInside(s.workDir, r.path)).toBe(false);
      expect(statSync(r.path).mode & 0o777).toBe(0o600);
    }
    expect(statSync(join(s.destRoot, 'T-1', 'attempt-1')).mode & 0o777).toBe(0o700);
    expect(readFileSync(records[0]!.path, 'utf8')).toBe('the report');
  });

  it('never overwrites a copy left in the folder by an earlier ledger: the next free name is used', async () => {
    const s = setup();
    const stale = join(createAttemptFolder(s.destRoot, 'T-1', 1), 'report.txt');
    writeFileSync(stale, 'an earlier ledger recorded this');
    writeFileSync(join(s.workDir, 'report.txt'), 'the new report');
    const { records, refused } = await collectArtifacts(['report.txt', 'report.txt'], {
      workDir: s.workDir,
      destDir: s.destDir,
      limits,
    });
    expect(refused).toEqual([]);
    expect(records.map((r) => r.name)).toEqual(['2-report.txt', '3-report.txt']);
    expect(readFileSync(stale, 'utf8')).toBe('an earlier ledger recorded this');
    expect(readFileSync(records[0]!.path, 'utf8')).toBe('the new report');
  });

  it('refuses paths outside the folder, symbolic links, special files, hard links, oversized and missing files', async () => {
    const s = setup();
    const w = s.workDir;
    symlinkSync('/etc/passwd', join(w, 'passwd'));
    symlinkSync(s.base, join(w, 'up'));
    symlinkSync(join(w, 'real.txt'), join(w, 'inner-link'));
    writeFileSync(join(w, 'real.txt'), 'fine');
    linkSync(join(s.base, 'outside.txt'), join(w, 'hard.txt'));
    mkdirSync(join(w, 'folder'));
    execFileSync('mkfifo', [join(w, 'pipe')]);
    writeFileSync(join(w, 'big.bin'), Buffer.alloc(1_001));
    const { records, refused } = await collectArtifacts(
      [
        '../../../outside.txt',
        join(s.base, 'outside.txt'),
        '/etc/passwd',
        '/proc/self/environ',
        'passwd',
        'up/outside.txt',
        'inner-link',
        'hard.txt',
        'folder',
        'pipe',
        'big.bin',
        'missing.txt',
        '.',
        'folder/..',
      ],
      { workDir: w, destDir: s.destDir, limits },
    );
    expect(records).toEqual([]);
    expect(Object.fromEntries(refused.map((r) => [r.path, r.reason]))).toEqual({
      '../../../outside.txt': 'outside the attempt folder',
      [join(s.base, 'outside.txt')]: 'outside the attempt folder',
      '/etc/passwd': 'outside the attempt folder',
      '/proc/self/environ': 'outside the attempt folder',
      passwd: 'a symbolic link',
      'up/outside.txt': 'outside the attempt folder (through a symbolic link)',
      'inner-link': 'a symbolic link',
      'hard.txt': 'a hard link (the file has another name, maybe outside the folder)',
      folder: 'not a regular file',
      pipe: 'not a regular file',
      'big.bin': 'larger than 0 MiB',
      'missing.txt': 'missing',
      '.': 'not a regular file',
      'folder/..': 'not a regular file',
    });
    // Nothing was copied, and the private folder is made only when something is.
    expect(s.made()).toBe(0);
  });

  it('caps the total of an attempt and refuses a file that holds a secret of the swarm', async () => {
    const s = setup();
    writeFileSync(join(s.workDir, 'a.bin'), Buffer.alloc(800));
    writeFileSync(join(s.workDir, 'b.bin'), Buffer.alloc(800));
    writeFileSync(join(s.workDir, 'env.txt'), 'TOKEN=123456:abcdefghijk\n');
    const { records, refused } = await collectArtifacts(['a.bin', 'b.bin', 'env.txt'], {
      workDir: s.workDir,
      destDir: s.destDir,
      limits,
      secrets: ['123456:abcdefghijk'],
    });
    expect(records.map((r) => r.name)).toEqual(['a.bin']);
    expect(refused).toEqual([
      { path: 'b.bin', reason: 'over the 0 MiB total for one attempt' },
      { path: 'env.txt', reason: 'contains a secret of this swarm' },
    ]);
  });
});
