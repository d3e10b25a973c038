import { completeInWrite, type ArtifactRecord } from './attempt-ops.ts';
import type { LedgerCore } from './ledger-core.ts';
import {
  claimNextInWrite,
  type AttemptRef,
  type ClaimingAgent,
  type ClaimResult,
  type WriteResult,
} from './task-ops.ts';

/** What `completeAndClaim` did: the completion, and the claim made with it (null when refused). */
export interface CompleteAndClaimResult {
  completed: WriteResult;
  /** The next claim, exactly as `claimNext` would have returned it; null when the completion was stale. */
  next: ClaimResult | null;
}

/**
 * Finishes an attempt and claims the agent's next task in one transaction: one commit where a
 * separate complete and claim take two. The writes, events and outbox rows are those of `complete`
 * followed by `claimNext`, fenced the same way; a stale attempt completes nothing and claims nothing
 * (its refusal is recorded, as `complete` records it).
 */
export function completeAndClaim(
  core: LedgerCore,
  ref: AttemptRef,
  result: string,
  artifacts: ArtifactRecord[],
  notices: string[],
  next: ClaimingAgent,
): CompleteAndClaimResult {
  return core.write(() => {
    const completed = completeInWrite(core, ref, result, artifacts, notices);
    if (!completed.ok) return { completed, next: null };
    return { completed, next: claimNextInWrite(core, next) };
  });
}
