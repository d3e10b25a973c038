import { z } from 'zod';
import type { UsageReport } from '../core/usage.ts';
import type { AgentPreset, PresetEvent, PresetOutcome, PresetReader } from './agent-preset.ts';
import { oneLine, parseEventLine } from './event-lines.ts';

/**
 * Claude Code (`@anthropic-ai/claude-code`), run headless: `claude -p --output-format stream-json
 * --verbose`, the prompt on standard input; a question resumes the same session with
 * `--resume <session_id>`. Flags as in `claude --help` (2.1.x): `-p/--print`, `--output-format`
 * (`stream-json` needs `--verbose` in print mode), `-r/--resume`, `--model`, `--max-budget-usd`.
 *
 * The stream is one JSON message a line: `system` (subtype `init` carries `session_id` and `model`),
 * `assistant` (content blocks: `text`, `tool_use`, `thinking`), `user` (tool results), and a final
 * `result` (`result`, `is_error`, `subtype`, `session_id`, `total_cost_usd`, `usage`, `modelUsage`).
 * Usage is taken from `result`: the per-message usage in `assistant` lines is only the start of
 * each message (its output count is not final), so counting it would be wrong.
 *
 * Credentials: ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN, or a logged-in `~/.claude`), in
 * `agents[].passEnv`; ANTHROPIC_BASE_URL points it at another endpoint. Tools that need permission
 * are refused in print mode unless allowed: add e.g. `"args": ["--permission-mode", "acceptEdits"]`
 * or `["--allowedTools", "Bash(npm test) Edit"]`.
 *
 * @see https://docs.claude.com/en/docs/claude-code/headless
 * @see https://docs.claude.com/en/docs/claude-code/cli-reference
 * @see https://docs.claude.com/en/docs/claude-code/sdk/sdk-headless (message types, result fields)
 */

const contentBlock = z.looseObject({ type: z.string() });
const assistantEvent = z.looseObject({
  type: z.literal('assistant'),
  message: z.looseObject({ content: z.array(contentBlock) }),
});
const tokens = z.number().int().min(0).catch(0);
const resultEvent = z.looseObject({
  type: z.literal('result'),
  subtype: z.string().optional(),
  is_error: z.boolean().optional(),
  result: z.string().optional(),
  session_id: z.string().optional(),
  total_cost_usd: z.number().min(0).optional(),
  usage: z
    .looseObject({
      input_tokens: tokens.optional(),
      output_tokens: tokens.optional(),
      cache_creation_input_tokens: tokens.optional(),
      cache_read_input_tokens: tokens.optional(),
    })
    .optional(),
  modelUsage: z.record(z.string(), z.unknown()).optional(),
});
const systemEvent = z.looseObject({
  type: z.literal('system'),
  subtype: z.string().optional(),
  session_id: z.string().optional(),
  model: z.string().optional(),
});

/** A tool call as one progress line: the tool and what it is given that says most. */
export function describeToolUse(name: string, input: unknown): string {
  const i = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const detail = [i.description, i.command, i.file_path, i.path, i.pattern, i.url, i.query, i.prompt].find(
    (v): v is string => typeof v === 'string' && v.trim() !== '',
  );
  return detail ? `${name}: ${oneLine(detail, 120)}` : name;
}

function toUsage(r: z.infer<typeof resultEvent>, model: string | undefined): UsageReport | undefined {
  const u = r.usage;
  if (!u && r.total_cost_usd === undefined) return undefined;
  const cacheRead = u?.cache_read_input_tokens ?? 0;
  const report: UsageReport = {
    inputTokens: (u?.input_tokens ?? 0) + (u?.cache_creation_input_tokens ?? 0) + cacheRead,
    outputTokens: u?.output_tokens ?? 0,
    cachedInputTokens: cacheRead,
  };
  if (r.total_cost_usd !== undefined) report.costUsd = r.total_cost_usd;
  const models = Object.keys(r.modelUsage ?? {});
  const name = models.length === 1 ? models[0] : model;
  if (name) report.model = name;
  return report;
}

function createClaudeReader(): PresetReader {
  let model: string | undefined;
  let outcome: PresetOutcome | undefined;
  let lastText: string | undefined;
  return {
    line(text) {
      const json = parseEventLine(text);
      if (!json) return text.trim() ? [{ kind: 'skipped', reason: 'not a JSON event' }] : [];
      switch (json.type) {
        case 'system': {
          const e = systemEvent.safeParse(json);
          if (!e.success) return [{ kind: 'skipped', reason: 'malformed system event' }];
          const out: PresetEvent[] = [];
          if (e.data.subtype === 'init') {
            if (e.data.model) model = e.data.model;
            if (e.data.session_id) out.push({ kind: 'session', id: e.data.session_id });
            out.push({ kind: 'progress', text: `Claude Code started${model ? ` (${model})` : ''}` });
          }
          return out;
        }
        case 'assistant': {
          const e = assistantEvent.safeParse(json);
          if (!e.success) return [{ kind: 'skipped', reason: 'malformed assistant event' }];
          const out: PresetEvent[] = [];
          for (const block of e.data.message.content) {
            if (block.type === 'tool_use' && typeof block.name === 'string')
              out.push({ kind: 'progress', text: describeToolUse(block.name, block.input) });
            else if (block.type === 'text' && typeof block.text === 'string' && block.text.trim()) {
              lastText = block.text;
              out.push({ kind: 'progress', text: oneLine(block.text) });
            }
          }
          return out;
        }
        case 'result': {
          const e = resultEvent.safeParse(json);
          if (!e.success) return [{ kind: 'skipped', reason: 'malformed result event' }];
          const r = e.data;
          const failed = r.is_error === true || (r.subtype !== undefined && r.subtype !== 'success');
          outcome = failed
            ? {
                error: `Claude Code ended with ${r.subtype ?? 'an error'}${r.result ? `: ${oneLine(r.result, 500)}` : ''}`,
              }
            : { result: r.result ?? lastText ?? '' };
          const out: PresetEvent[] = [];
          if (r.session_id) out.push({ kind: 'session', id: r.session_id });
          const usage = toUsage(r, model);
          if (usage) out.push({ kind: 'usage', report: usage });
          return out;
        }
        case 'user':
        case 'stream_event':
          // Tool results and partial-message deltas: nothing the swarm shows.
          return [];
        default:
          return [{ kind: 'skipped', reason: `unknown event type ${oneLine(String(json.type), 40)}` }];
      }
    },
    end() {
      return outcome ?? {};
    },
  };
}

/** The Claude Code preset. */
export const claudeCodePreset: AgentPreset = {
  name: 'claude-code',
  title: 'Claude Code',
  command: 'claude',
  install: 'npm install -g @anthropic-ai/claude-code (or set agents[].cli to the claude executable)',
  keyEnv: ['ANTHROPIC_API_KEY'],
  versionArgs: ['--version'],
  firstRun(o) {
    const args = ['-p', '--output-format', 'stream-json', '--verbose'];
    if (o.model) args.push('--model', o.model);
    // Claude Code's own cap (print mode only) stops a run that would go past the swarm's budget.
    if (o.budgetLeft?.usd !== undefined) args.push('--max-budget-usd', o.budgetLeft.usd.toFixed(4));
    return [...args, ...o.extraArgs];
  },
  resumeRun(o) {
    return [...this.firstRun(o), '--resume', o.sessionId];
  },
  createReader: () => createClaudeReader(),
};
