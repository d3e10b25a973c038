import { join } from 'node:path';
import { toFolderSegment } from '../agents/attempt-folder.ts';
import { DEPS_FOLDER } from '../agents/dependency-handoff.ts';
import type { WorkerContext } from '../agents/worker.ts';

/** A dependency's result longer than this is cut in the prompt; the whole text is in its file. */
export const MAX_DEP_RESULT_PROMPT_CHARS = 20_000;

/** The line a preset's agent ends its reply with to ask a person (see {@link questionOf}). */
export const ASK_PREFIX = '::ask ';

/** What the prompt says about asking, so the agent's question reaches the swarm's question flow. */
export const ASKING_RULE = [
  '## If you need a person',
  'If you cannot finish without a decision or information from a person, stop and make the last line',
  `of your reply exactly: ${ASK_PREFIX}<your question>`,
  'You will get the answer and continue. Otherwise end with your final answer, which is posted as the result.',
].join('\n');

/**
 * The prompt of a task's first run: its title, body, the notes people added (review feedback
 * included), the results and files of the tasks it depends on, and how to ask a person.
 */
export function buildTaskPrompt(ctx: Pick<WorkerContext, 'task' | 'dependencies' | 'workDir'>): string {
  const { task } = ctx;
  const parts = [`# Task ${task.id}: ${task.title}`];
  if (task.body.trim()) parts.push(task.body.trim());
  if (task.notes.length) parts.push(['## Notes from people', ...task.notes.map((n) => `- ${n}`)].join('\n'));
  const deps = ctx.dependencies ?? [];
  if (deps.length) {
    const lines = ['## Results of the tasks this one builds on'];
    for (const dep of deps) {
      const cut = dep.result.length > MAX_DEP_RESULT_PROMPT_CHARS;
      const file = join(ctx.workDir, DEPS_FOLDER, toFolderSegment(dep.taskId), 'result.txt');
      lines.push(`### ${dep.taskId}: ${dep.title}`);
      lines.push(
        cut
          ? `${dep.result.slice(0, MAX_DEP_RESULT_PROMPT_CHARS)}\n[… cut; the whole result is in ${file}]`
          : dep.result,
      );
      if (dep.artifacts.length) lines.push(`Files: ${dep.artifacts.map((a) => a.path).join(', ')}`);
    }
    parts.push(lines.join('\n\n'));
  }
  parts.push(ASKING_RULE);
  return parts.join('\n\n') + '\n';
}

/** The prompt that resumes a session after a person answered its question. */
export function buildAnswerPrompt(answer: string): string {
  return `A person answered your question:\n\n${answer}\n\nContinue the task. ${ASKING_RULE.split('\n').slice(1).join(' ')}\n`;
}

/**
 * The prompt of a new run when the CLI cannot resume its session: the whole task again, with the
 * questions asked so far and their answers.
 */
export function buildRetoldPrompt(
  first: string,
  answered: readonly { question: string; answer: string }[],
): string {
  const qa = answered.map((x) => `Question: ${x.question}\nAnswer from a person: ${x.answer}`).join('\n\n');
  return `${first}\n## Questions you asked before, and the answers\n\n${qa}\n\nDo not ask these again; finish the task.\n`;
}

/**
 * The question at the end of a final answer: its last non-blank line, when it starts with `::ask `.
 * Returns the question and the text before it, or undefined when the answer asks nothing.
 */
export function questionOf(result: string): { question: string; before: string } | undefined {
  const lines = result.trimEnd().split('\n');
  const last = lines.at(-1)?.trim() ?? '';
  if (!last.startsWith(ASK_PREFIX)) return undefined;
  const question = last.slice(ASK_PREFIX.length).trim();
  if (!question) return undefined;
  return { question, before: lines.slice(0, -1).join('\n').trimEnd() };
}
