import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createConsoleChannel } from '../../adapters/console/console-channel.ts';
import type { IncomingMessage } from '../chat/chat-port.ts';
import { parseConfig } from '../config/load-config.ts';
import type { Logger } from '../core/logger.ts';
import { FINAL_STATUSES, type Task } from '../core/types.ts';
import { ledgerCursorStore } from '../cli/ledger-cursors.ts';
import { openLedger, Swarm } from '../cli/swarm.ts';
import {
  renderStatusUsage,
  renderTaskUsage,
  statusUsage,
  taskUsage,
  type StatusUsage,
  type TaskUsage,
} from '../commands/usage-view.ts';
import { DEMO_AGENTS, DEMO_ANSWER, DEMO_COMMANDS, DEMO_MODEL, DEMO_PRICING } from './demo-plan.ts';

export interface DemoOptions {
  dbPath: string;
  workDir: string;
  /** A person is at the keyboard: wait longer for their answer before answering automatically. */
  interactive: boolean;
  log: Logger;
  out: (text: string) => void;
  /** Give up (exit non-zero) when the demo has not finished by then. */
  timeoutMs?: number;
}

export interface DemoResult {
  ok: boolean;
  tasks: Task[];
  auditProblems: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs the demo swarm on the console channel: types the demo's commands, lets the agents work,
 * answers the writer's question (the person at the keyboard may answer first), approves the
 * reviewed task, then prints a summary and audits the ledger.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  mkdirSync(dirname(resolve(options.dbPath)), { recursive: true });
  const config = parseConfig(
    {
      db: options.dbPath,
      workDir: options.workDir,
      ledger: { synchronous: 'full', leaseMs: 10_000, retryBaseMs: 500 },
      agents: DEMO_AGENTS,
      // A throwaway ledger: its checkpoint would only stand in the way of a real swarm's in workDir.
      checkpointIntervalMs: 0,
    },
    'the demo config',
  );
  const ledger = openLedger(config, options.dbPath);
  const port = createConsoleChannel(
    { user: { id: 'console' } },
    { logger: options.log, cursors: ledgerCursorStore(ledger, 'console') },
  );
  const swarm = new Swarm(ledger, port, config, {
    admins: { userIds: [], roleIds: [], everyone: true },
    pacing: { perWindow: 1_000, perWindowMs: 1_000 },
    log: options.log,
  });
  const say = (text: string, author = 'demo'): Promise<void> => {
    options.out(`<${author}> ${text.replace(/\n/g, ' ⏎ ')}`);
    const msg: IncomingMessage = {
      platform: 'demo',
      channelId: 'console',
      messageId: `demo-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`,
      author: { id: author, name: author, isBot: false },
      text,
      sentAt: Date.now(),
    };
    return swarm.orchestrator.onMessage(msg);
  };

  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  try {
    await swarm.start();
    options.out(`chat-swarm demo — ledger: ${options.dbPath}\n`);
    for (const command of DEMO_COMMANDS) await say(command);
    let answeredAt = 0;
    let approved = false;
    for (;;) {
      const tasks = ledger.listTasks();
      if (tasks.every((t) => FINAL_STATUSES.has(t.status))) break;
      if (Date.now() > deadline) throw new Error('the demo did not finish in time');
      const blocked = tasks.find((t) => t.status === 'blocked');
      if (blocked && !answeredAt) {
        answeredAt = Date.now() + (options.interactive ? 20_000 : 1_000);
        if (options.interactive) {
          options.out(
            `\n>>> ${blocked.id} asks a question. Reply with:  >#<message number> your answer   (auto-answer "${DEMO_ANSWER}" in 20s)\n`,
          );
        }
      }
      if (blocked && answeredAt && Date.now() >= answeredAt) {
        await say(`/answer ${blocked.id} ${DEMO_ANSWER}`, 'demo-autoanswer');
        answeredAt = 0;
      }
      const review = tasks.find((t) => t.status === 'review');
      if (review && !approved) {
        approved = true;
        await sleep(300);
        await say(`/approve ${review.id}`);
      }
      await sleep(50);
    }
    await swarm.orchestrator.poster.drain(15_000);
  } finally {
    await swarm.stop(10_000);
  }
  const tasks = ledger.listTasks();
  const spending = {
    tasks: new Map(tasks.map((t) => [t.id, taskUsage(ledger, t.id, t.attempt)])),
    swarm: statusUsage(ledger, Date.now()),
  };
  const audit = ledger.audit();
  ledger.close();
  options.out(summary(tasks, spending, options.dbPath, audit.problems.length));
  return {
    ok: audit.problems.length === 0 && tasks.every((t) => t.status === 'done'),
    tasks,
    auditProblems: audit.problems.length,
  };
}

/** What the demo spent, in the words of `chat-swarm task show` (each task) and `status` (the total). */
interface DemoSpending {
  tasks: Map<string, TaskUsage>;
  swarm: StatusUsage;
}

const indent = (text: string, by: string): string[] => (text ? text.split('\n').map((l) => by + l) : []);

function summary(tasks: Task[], spending: DemoSpending, dbPath: string, problems: number): string {
  const lines = tasks.flatMap((t) => {
    const u = spending.tasks.get(t.id);
    // One attempt's usage is the task's cost again: list attempts only when there were several.
    const cost = u ? renderTaskUsage({ ...u, attempts: u.attempts.length > 1 ? u.attempts : [] }) : '';
    return [
      `  ${t.id.padEnd(5)} ${t.status.padEnd(9)} attempts ${t.attempt}  ${t.title}`,
      ...indent(cost, '        '),
    ];
  });
  const total = renderStatusUsage(spending.swarm);
  const prices = `$${DEMO_PRICING.inputUsdPerMTok} in / $${DEMO_PRICING.outputUsdPerMTok} out per million tokens`;
  return [
    '',
    '── summary ──────────────────────────────────────────',
    ...lines,
    ...(total
      ? [
          total,
          `(demo figures: the workers report made-up tokens for the model "${DEMO_MODEL}", priced at ${prices})`,
        ]
      : []),
    `audit: ${problems === 0 ? 'OK (hash chain intact, every event mirrored)' : `${problems} problem(s)`}`,
    `ledger: ${dbPath}`,
    `check it yourself: npx chat-swarm audit --db ${dbPath}`,
    '',
  ].join('\n');
}
