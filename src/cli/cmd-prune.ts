import type { CliIo } from './cli-context.ts';

export const PRUNE_USAGE = 'chat-swarm prune [--older-than 30d] [--dry-run] [--json]';

export async function runPrune(_argv: string[], io: CliIo): Promise<number> {
  io.err('prune: not yet');
  return Promise.resolve(3);
}
