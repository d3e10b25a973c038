import type { Logger } from '../core/logger.ts';

/** What one attempt may send to the swarm; beyond it, requests are refused and the attempt goes on. */
export interface AttemptLimits {
  /** Questions (`::ask`) per attempt; only one may be open at a time in any case. */
  maxQuestions: number;
  /** Files (`::artifact`) per attempt. */
  maxArtifacts: number;
  /** Largest artifact, in bytes (the platform's attachment limit is checked when posting, too). */
  maxArtifactBytes: number;
  /** All artifacts of an attempt together, in bytes. */
  maxArtifactTotalBytes: number;
  /** Longest progress text kept (characters); progress is also written at most once per interval. */
  maxProgressChars: number;
  /** Longest question kept (characters). */
  maxQuestionChars: number;
}

/** Defaults for {@link AttemptLimits}. */
export const DefaultAttemptLimits = {
  maxQuestions: 5,
  maxArtifacts: 10,
  maxArtifactBytes: 8 * 1024 * 1024,
  maxArtifactTotalBytes: 32 * 1024 * 1024,
  maxProgressChars: 500,
  maxQuestionChars: 4_000,
} as const satisfies AttemptLimits;

/** Cuts `text` to `max` characters, marking the cut. */
export function capText(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, Math.max(0, max - 1)) + '…';
}

/** Counts one attempt's requests against its limits and says, once, how many were refused. */
export interface AttemptCaps {
  /** Whether a question may be asked now (`open`: one is waiting for its answer). */
  allowQuestion(open: boolean): boolean;
  /** Whether one more artifact may be registered. */
  allowArtifact(): boolean;
  /** One line per kind of request that was refused, for the channel; empty when none was. */
  notices(): string[];
}

/** Creates the caps of one attempt (`label` like `T-3#1`); each first refusal is logged at warn. */
export function createAttemptCaps(
  label: string,
  limits: AttemptLimits,
  log: Logger,
  fields: Record<string, unknown>,
): AttemptCaps {
  let questions = 0;
  let artifacts = 0;
  const refused = { question: 0, artifact: 0 };
  const refuse = (kind: keyof typeof refused, why: string): false => {
    refused[kind]++;
    const level = refused[kind] === 1 ? 'warn' : 'debug';
    log[level](`worker ${kind} refused: ${why}`, { ...fields, refused: refused[kind] });
    return false;
  };
  return {
    allowQuestion(open) {
      if (open) return refuse('question', 'another question is still open');
      if (questions >= limits.maxQuestions)
        return refuse('question', `limit of ${limits.maxQuestions} per attempt reached`);
      questions++;
      return true;
    },
    allowArtifact() {
      if (artifacts >= limits.maxArtifacts)
        return refuse('artifact', `limit of ${limits.maxArtifacts} per attempt reached`);
      artifacts++;
      return true;
    },
    notices() {
      const lines: string[] = [];
      if (refused.question)
        lines.push(
          `${label}: ${refused.question} further question(s) (::ask) refused: one open at a time, at most ${limits.maxQuestions} per attempt`,
        );
      if (refused.artifact)
        lines.push(
          `${label}: ${refused.artifact} further artifact(s) (::artifact) refused: at most ${limits.maxArtifacts} per attempt`,
        );
      return lines;
    },
  };
}
