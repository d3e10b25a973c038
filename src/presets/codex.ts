import { z } from 'zod';
import type { AgentPreset, PresetEvent, PresetOutcome, PresetReader } from './agent-preset.ts';
import { oneLine, parseEventLine } from './event-lines.ts';

/**
 * OpenAI Codex CLI (`@openai/codex`), run headless: `codex exec --json -` with the prompt on standard
 * input; a question resumes the same thread with `codex exec resume --json <thread_id> -`. Flags as in
 * `codex exec --help` and `codex exec resume --help` (0.17x): `--json`, `-m/--model`,
 * `--skip-git-repo-check` (attempt folders are not repositories), `-` (prompt from stdin).
 *
 * The stream is one JSON event a line: `thread.started` (`thread_id`: the session to resume),
 * `turn.started`, `item.started`/`item.updated`/`item.completed` (items: `agent_message`,
 * `reasoning`, `command_execution`, `file_change`, `mcp_tool_call`, `web_search`, `todo_list`,
 * `error` — a warning, not fatal), `turn.completed` (`usage`: `input_tokens`, `cached_input_tokens`,
 * `output_tokens`), `turn.failed` and `error`. The final answer is the last `agent_message`. Codex
 * reports no cost: set `agents[].pricing` to price its tokens.
 *
 * Credentials: OPENAI_API_KEY (or CODEX_API_KEY, or a logged-in CODEX_HOME) in `agents[].passEnv`;
 * another endpoint through its config (`model_providers.<id>.base_url`, `-c` overrides in `args`).
 * `args` are added to both `exec` and `exec resume`, so use options both take (`-c key=value`).
 *
 * @see https://developers.openai.com/codex/noninteractive
 * @see https://developers.openai.com/codex/config-reference
 * @see https://github.com/openai/codex/blob/main/codex-rs/exec/src/exec_events.rs
 */

const tokens = z.number().int().min(0).catch(0);
const usageSchema = z.looseObject({
  input_tokens: tokens.optional(),
  cached_input_tokens: tokens.optional(),
  output_tokens: tokens.optional(),
});
const itemSchema = z.looseObject({ type: z.string() });
const errorText = (v: unknown): string => {
  const e = v as { message?: unknown } | null | undefined;
  return typeof e?.message === 'string' ? e.message : 'unknown error';
};

/** One item as a progress line, or undefined when it says nothing worth showing. */
function describeItem(item: z.infer<typeof itemSchema>, done: boolean): string | undefined {
  const s = (v: unknown): string => (typeof v === 'string' ? v : '');
  switch (item.type) {
    case 'command_execution':
      return done ? undefined : `$ ${oneLine(s(item.command), 140)}`;
    case 'file_change': {
      const changes = Array.isArray(item.changes) ? (item.changes as { path?: unknown }[]) : [];
      return done
        ? `edited ${
            changes
              .map((c) => s(c.path))
              .filter(Boolean)
              .join(', ') || 'files'
          }`
        : undefined;
    }
    case 'mcp_tool_call':
      return done ? undefined : `tool ${s(item.server)}.${s(item.tool)}`;
    case 'web_search':
      return done ? undefined : `search: ${oneLine(s(item.query), 120)}`;
    case 'reasoning':
      return done && s(item.text) ? oneLine(s(item.text)) : undefined;
    case 'agent_message':
      return done && s(item.text) ? oneLine(s(item.text)) : undefined;
    case 'error':
      return done ? `warning: ${oneLine(s(item.message), 160)}` : undefined;
    default:
      return undefined;
  }
}

function createCodexReader(model: string | undefined): PresetReader {
  let lastMessage: string | undefined;
  let failure: string | undefined;
  let turnDone = false;
  return {
    line(text) {
      const json = parseEventLine(text);
      if (!json) return text.trim() ? [{ kind: 'skipped', reason: 'not a JSON event' }] : [];
      const out: PresetEvent[] = [];
      switch (json.type) {
        case 'thread.started':
          if (typeof json.thread_id === 'string' && json.thread_id)
            out.push({ kind: 'session', id: json.thread_id });
          return out;
        case 'turn.started':
          return [{ kind: 'progress', text: 'Codex is working' }];
        case 'item.started':
        case 'item.updated':
        case 'item.completed': {
          const item = itemSchema.safeParse(json.item);
          if (!item.success) return [{ kind: 'skipped', reason: `malformed ${json.type}` }];
          const done = json.type === 'item.completed';
          if (done && item.data.type === 'agent_message' && typeof item.data.text === 'string')
            lastMessage = item.data.text;
          const line = json.type === 'item.updated' ? undefined : describeItem(item.data, done);
          return line ? [{ kind: 'progress', text: line }] : [];
        }
        case 'turn.completed': {
          turnDone = true;
          const usage = usageSchema.safeParse(json.usage ?? {});
          if (!usage.success) return [{ kind: 'skipped', reason: 'malformed usage' }];
          const u = usage.data;
          return [
            {
              kind: 'usage',
              report: {
                inputTokens: u.input_tokens ?? 0,
                outputTokens: u.output_tokens ?? 0,
                cachedInputTokens: Math.min(u.cached_input_tokens ?? 0, u.input_tokens ?? 0),
                ...(model ? { model } : {}),
              },
            },
          ];
        }
        case 'turn.failed':
          failure = `Codex turn failed: ${oneLine(errorText(json.error), 500)}`;
          return [];
        case 'error':
          failure = `Codex error: ${oneLine(errorText(json), 500)}`;
          return [];
        default:
          return [{ kind: 'skipped', reason: `unknown event type ${oneLine(String(json.type), 40)}` }];
      }
    },
    end(): PresetOutcome {
      if (failure) return { error: failure };
      if (turnDone && lastMessage !== undefined) return { result: lastMessage };
      return {};
    },
  };
}

/** The Codex CLI preset. */
export const codexPreset: AgentPreset = {
  name: 'codex',
  title: 'Codex',
  command: 'codex',
  install: 'npm install -g @openai/codex (or set agents[].cli to the codex executable)',
  keyEnv: ['OPENAI_API_KEY'],
  versionArgs: ['--version'],
  firstRun(o) {
    return [
      'exec',
      '--json',
      '--skip-git-repo-check',
      ...(o.model ? ['-m', o.model] : []),
      ...o.extraArgs,
      '-',
    ];
  },
  resumeRun(o) {
    return [
      'exec',
      'resume',
      '--json',
      '--skip-git-repo-check',
      ...(o.model ? ['-m', o.model] : []),
      ...o.extraArgs,
      o.sessionId,
      '-',
    ];
  },
  createReader: (o) => createCodexReader(o.model),
};
