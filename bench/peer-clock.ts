// How the peers benchmark's eight-process clock treats the process that queues chat-swarm's
// channel rows (see runPeersBench in peers.ts and docs/ledger-speed.md).

/**
 * Milliseconds the queueing process spent queueing after `at` (the last job): what the orchestrator
 * still had to do once the agents were done. Not the time until it finished: `stop` reaches it once
 * every worker has reported, and a worker that found the lock taken for a while sleeps up to 100 ms
 * in SQLite's busy handler before it looks again and finds the queue empty (60-190 ms after the last
 * job in some rounds); the queue's poll would meanwhile queue the last rows at a moment of its own.
 */
export function queueingAfter(at: number, spans: [number, number][]): number {
  return spans.reduce((ms, [start, end]) => ms + Math.max(0, end - Math.max(start, at)), 0);
}
