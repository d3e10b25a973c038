import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh folder for one benchmark, removed by the returned function. */
export function benchDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'swarm-bench-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The value below which `p` of the sorted samples fall. */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** Prints one figure with the command that reproduces it. */
export function report(name: string, figure: string, command: string): void {
  process.stdout.write(`${name}: ${figure}\n    measured by: ${command}\n`);
}
