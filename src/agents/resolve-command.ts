import { isAbsolute, resolve } from 'node:path';

// A command that starts with ./ or ../ names a script relative to where the swarm was configured.
const RELATIVE_HEAD = /^(\s*)(\.\.?\/[^\s;|&<>()]*)/;

/** Single-quotes a word for /bin/sh. */
function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Makes a command's leading relative script path absolute against `baseDir`. Workers run in their
 * task's own directory, so `./agents/coder.sh` would otherwise not be found there.
 */
export function resolveCommand(command: string, baseDir: string): string {
  return command.replace(RELATIVE_HEAD, (_all, space: string, path: string) =>
    isAbsolute(path) ? `${space}${path}` : `${space}${shellQuote(resolve(baseDir, path))}`,
  );
}
