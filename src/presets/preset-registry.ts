import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { DoctorCheck } from '../chat/doctor-report.ts';
import type { AgentPreset } from './agent-preset.ts';
import { claudeCodePreset } from './claude-code.ts';
import { codexPreset } from './codex.ts';
import { geminiPreset } from './gemini.ts';
import { openclawPreset } from './openclaw.ts';
import type { PresetName } from './preset-config.ts';

/** Every built-in preset by name (one file each; see agent-preset.ts for adding one). */
export const PRESETS: { readonly [N in PresetName]: AgentPreset & { name: N } } = {
  'claude-code': claudeCodePreset as AgentPreset & { name: 'claude-code' },
  codex: codexPreset as AgentPreset & { name: 'codex' },
  gemini: geminiPreset as AgentPreset & { name: 'gemini' },
  openclaw: openclawPreset as AgentPreset & { name: 'openclaw' },
};

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where the CLI is: `cli` as a path (relative to `baseDir`) when it has a slash, else the first
 * executable of that name (the preset's command by default) on `pathVar`. Undefined when there is none.
 */
export function findCli(
  preset: AgentPreset,
  cli: string | undefined,
  baseDir: string,
  pathVar: string | undefined,
): string | undefined {
  const name = cli ?? preset.command;
  if (name.includes('/')) {
    const path = isAbsolute(name) ? name : resolve(baseDir, name);
    return isExecutableFile(path) ? path : undefined;
  }
  for (const dir of (pathVar ?? '').split(delimiter)) {
    if (!dir) continue;
    const path = join(dir, name);
    if (isExecutableFile(path)) return path;
  }
  return undefined;
}

/** Why a preset's CLI cannot run, with the fix; undefined when it was found. */
export function missingCliProblem(
  agentId: string,
  preset: AgentPreset,
  cli: string | undefined,
  baseDir: string,
  pathVar: string | undefined,
): string | undefined {
  if (findCli(preset, cli, baseDir, pathVar)) return undefined;
  const what = cli ? `'${cli}'` : `'${preset.command}' on PATH`;
  return `agent ${agentId}: ${preset.title} is not installed (no executable ${what}); fix: ${preset.install}`;
}

/** What the doctor reads of an agent entry. */
interface CheckedAgent {
  id: string;
  cli?: string | undefined;
  passEnv?: readonly string[] | undefined;
  env: Record<string, string>;
}

/**
 * The doctor's check of one preset agent: the CLI is there and answers `--version` within a few
 * seconds; and a reminder when none of its credential variables is passed to it.
 */
export function checkPresetAgent(
  agent: CheckedAgent & { preset: PresetName },
  baseDir: string,
  env: NodeJS.ProcessEnv,
): DoctorCheck[] {
  const preset = PRESETS[agent.preset];
  const name = `agent ${agent.id} (${preset.name})`;
  const path = findCli(preset, agent.cli, baseDir, env.PATH);
  if (!path)
    return [
      {
        name,
        ok: false,
        detail: `${preset.title} is not installed: no executable ${agent.cli ? `'${agent.cli}'` : `'${preset.command}' on PATH`}`,
        fix: preset.install,
      },
    ];
  const version = spawnSync(path, [...preset.versionArgs], {
    encoding: 'utf8',
    timeout: 15_000,
    env: { PATH: env.PATH ?? '', HOME: env.HOME ?? '' },
  });
  const checks: DoctorCheck[] = [];
  if (version.status === 0)
    checks.push({ name, ok: true, detail: `${path}: ${version.stdout.trim().split('\n')[0] ?? ''}` });
  else
    checks.push({
      name,
      ok: false,
      detail: `${path} did not answer ${preset.versionArgs.join(' ')} (${version.error ? version.error.message : `exit ${version.status ?? version.signal}`})`,
      fix: `reinstall it: ${preset.install}`,
    });
  const given = new Set([...(agent.passEnv ?? []), ...Object.keys(agent.env)]);
  if (preset.keyEnv.length && !preset.keyEnv.some((k) => given.has(k)))
    checks.push({
      name: `${name} credentials`,
      ok: false,
      warning: true,
      detail: `none of ${preset.keyEnv.join(', ')} is passed to it (workers get only what passEnv lists)`,
      fix: `add "passEnv": ["${preset.keyEnv[0] ?? ''}"] to the agent, unless it is logged in through its own config folder`,
    });
  return checks;
}

/** The doctor's checks of every preset agent in a config (none when no agent uses a preset). */
export function checkPresetAgents(
  agents: readonly (CheckedAgent & { preset?: PresetName | undefined })[],
  baseDir: string,
  env: NodeJS.ProcessEnv,
): DoctorCheck[] {
  return agents.flatMap((a) => (a.preset ? checkPresetAgent({ ...a, preset: a.preset }, baseDir, env) : []));
}
