import type { NewTask } from '../ledger/task-ops.ts';
import type { TaskCommand } from './command-types.ts';

/** The ledger's create input for a parsed `/task` (from the chat or from `chat-swarm task add`). */
export function toNewTask(c: TaskCommand): NewTask {
  return {
    title: c.title,
    body: c.body,
    skills: c.skills,
    priority: c.priority,
    dependsOn: c.dependsOn,
    review: c.review,
    maxAttempts: c.maxAttempts,
    ...(c.key !== undefined ? { key: c.key } : {}),
    ...(c.timeoutMs !== undefined ? { timeoutMs: c.timeoutMs } : {}),
    ...(c.budget !== undefined ? { budget: c.budget } : {}),
  };
}
