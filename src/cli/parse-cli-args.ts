import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EXIT } from './cli-context.ts';
import { CliError } from './cli-error.ts';

/** Edits (insert, delete, replace one character, swap two neighbours) that turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => d[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i]![j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * The known name closest to `given`: one it abbreviates (`prio` → `priority`), else one within a
 * couple of typos (`priorty`); undefined when nothing is close.
 */
export function closestName(given: string, known: readonly string[]): string | undefined {
  if (given.length >= 2) {
    const extended = known.filter((k) => k.startsWith(given));
    if (extended.length === 1) return extended[0];
  }
  const limit = Math.max(1, Math.floor(given.length / 3));
  let best: { name: string; d: number } | undefined;
  for (const name of known) {
    const d = editDistance(given, name);
    if (d <= limit && (best === undefined || d < best.d)) best = { name, d };
  }
  return best?.name;
}

/**
 * `parseArgs` in strict mode, with an unknown option refused as a usage error that lists the known
 * options and suggests the closest one (`--prio`: did you mean --priority?).
 */
export function parseCliArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw err;
    const given = /Unknown option '(-{1,2}[^']*)'/.exec((err as Error).message)?.[1] ?? '';
    const known = Object.keys(config.options ?? {});
    const close = closestName(given.replace(/^-+/, '').replace(/=.*$/, ''), known);
    const list = known.map((k) => `--${k}`).join(', ');
    throw new CliError(
      EXIT.usage,
      `unknown option ${given}${close ? `; did you mean --${close}?` : ''} (the options here: ${list}; a word starting with - goes after --)`,
      { cause: err },
    );
  }
}
