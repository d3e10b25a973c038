/**
 * Processes for the remote-agent end-to-end tests: the orchestrator (`chat-swarm up`) and remote
 * agents (`chat-swarm agent <id> --remote`), each a child process with its own config and its own
 * folder; the agents get no ledger path at all. One shell worker script serves every scenario,
 * chosen by the task's title.
 */
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnCli } from '../../support/spawn-ts.ts';

/**
 * slow…: the first agent waits for a release mark (the test cuts it off meanwhile); the next
 * finishes at once. steady…: three seconds of work. env…: reports whether its agent's bot token and the
 * `passEnv` variable reached it. link…: attaches a symbolic link to a file outside its folder, and a
 * plain file. plain…: progress, then a result. ask…: asks, answers with the reply. long…: works until stopped,
 * leaving a mark when SIGTERM arrives. crash…: the first agent to get it works (printing, so it dies
 * of SIGPIPE once its agent is gone) until killed; the next one finishes it.
 */
export const WORKER_SCRIPT = `#!/bin/sh
read -r task_json
case "$SWARM_TASK_TITLE" in
  ask*)
    echo "::ask Which tone?"
    read -r tone
    echo "tone=$tone by $SWARM_AGENT_ID" ;;
  long*)
    trap 'echo "$SWARM_AGENT_ID" > "$SWARM_TEST_MARKS/stopped-$SWARM_TASK_ID"; exit 143' TERM
    echo "::progress 10 started"
    i=0
    while [ $i -lt 400 ]; do sleep 0.1; i=$((i+1)); done
    echo "not stopped" ;;
  crash*)
    if [ ! -e "$SWARM_TEST_MARKS/crash-$SWARM_TASK_ID" ]; then
      echo "$SWARM_AGENT_ID" > "$SWARM_TEST_MARKS/crash-$SWARM_TASK_ID"
      i=0
      while [ $i -lt 400 ]; do echo "::log waiting to be killed"; sleep 0.1; i=$((i+1)); done
    fi
    echo "finished by $SWARM_AGENT_ID" ;;
  slow*)
    if [ -e "$SWARM_TEST_MARKS/slow-$SWARM_TASK_ID" ]; then echo "fresh by $SWARM_AGENT_ID"; exit 0; fi
    echo "$SWARM_AGENT_ID" > "$SWARM_TEST_MARKS/slow-$SWARM_TASK_ID"
    i=0
    while [ ! -e "$SWARM_TEST_MARKS/release-$SWARM_TASK_ID" ] && [ $i -lt 900 ]; do sleep 0.1; i=$((i+1)); done
    echo "late by $SWARM_AGENT_ID" ;;
  review*)
    echo "draft by $SWARM_AGENT_ID; notes: $SWARM_TASK_NOTES" ;;
  env*)
    echo "token=\${AGENT_BOT_TOKEN:-none} leaks=$(env | grep -c token-for-the-fake) passed=\${SWARM_TEST_PASSED:-none}" ;;
  link*)
    echo "outside the folder" > "$SWARM_TEST_MARKS/outside-$SWARM_TASK_ID.txt"
    ln -s "$SWARM_TEST_MARKS/outside-$SWARM_TASK_ID.txt" leak.txt
    echo "inside" > inside.txt
    echo "::artifact leak.txt"
    echo "::artifact inside.txt"
    echo "linked by $SWARM_AGENT_ID" ;;
  steady*)
    sleep 3
    echo "steady by $SWARM_AGENT_ID" ;;
  *)
    echo "::progress 50 half way"
    echo "done by $SWARM_AGENT_ID" ;;
esac
`;

export interface Proc {
  name: string;
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

/** Starts the CLI in a child process, keeping its output for a failing test's message. */
export function startCli(name: string, args: string[], env: NodeJS.ProcessEnv): Proc {
  const child = spawnCli(args, { SWARM_LOG_LEVEL: 'info', ...env });
  const output: string[] = [];
  child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { name, child, output, exited };
}

/** Asks a process to stop (SIGTERM), killing it after `graceMs`. */
export async function stopProc(p: Proc, graceMs = 10_000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}

/** The tail of each process's output, for a test failure. */
export function outputs(procs: Proc[], lines = 25): string {
  return procs
    .map((p) => `--- ${p.name}\n${p.output.join('').split('\n').slice(-lines).join('\n')}`)
    .join('\n');
}

export interface RemoteFolders {
  root: string;
  marks: string;
  worker: string;
}

/** The shared folders: marks the worker leaves, and the worker script. */
export function prepareFolders(root: string): RemoteFolders {
  const marks = join(root, 'marks');
  mkdirSync(marks, { recursive: true });
  const worker = join(root, 'worker.sh');
  writeFileSync(worker, WORKER_SCRIPT);
  chmodSync(worker, 0o755);
  return { root, marks, worker };
}

/** Writes a config file and returns its path. */
export function writeConfig(path: string, config: unknown): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/** Every file under `dir` whose name looks like a SQLite ledger (none may exist in an agent's folder). */
export function ledgerFilesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && /\.db(-wal|-shm|-bell)?$/.test(entry.name))
      found.push(join(entry.parentPath, entry.name));
  }
  return found;
}
