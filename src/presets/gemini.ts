import { z } from 'zod';
import type { AgentPreset, PresetEvent, PresetOutcome, PresetReader } from './agent-preset.ts';
import { describeToolUse } from './claude-code.ts';
import { oneLine, parseEventLine } from './event-lines.ts';

/**
 * Gemini CLI (`@google/gemini-cli`), run headless: `gemini --output-format stream-json -p <nudge>`
 * with the task on standard input (`-p`: "Appended to input on stdin"); a question resumes the same
 * session with `--resume <session_id>` (a session is kept per project folder: the attempt's).
 * Flags as in `gemini --help` (0.6x): `-p/--prompt`, `-o/--output-format`, `-m/--model`, `-r/--resume`.
 *
 * The stream (JSON Lines): `init` (`session_id`, `model`), `message` (`role`, `content`, `delta`:
 * assistant text in pieces), `tool_use` (`tool_name`, `parameters`), `tool_result`, `error`
 * (`severity` warning or error; not fatal by itself) and a final `result` (`status` success or error,
 * `error`, `stats`: `input_tokens`, `output_tokens`, `cached`, `models`). The answer is the
 * assistant text after the last tool call. No cost is reported: set `agents[].pricing`.
 *
 * Credentials: GEMINI_API_KEY (or GOOGLE_API_KEY / Vertex settings) in `agents[].passEnv`. Tools
 * that need approval are refused headless unless allowed: e.g. `"args": ["--approval-mode", "auto_edit"]`.
 *
 * @see https://geminicli.com/docs/cli/headless/
 * @see https://geminicli.com/docs/cli/session-management/
 */

const tokens = z.number().int().min(0).catch(0);
const statsSchema = z.looseObject({
  input_tokens: tokens.optional(),
  output_tokens: tokens.optional(),
  cached: tokens.optional(),
  models: z.record(z.string(), z.unknown()).optional(),
});

/** What the `-p` argument says: the task itself comes on standard input, before it. */
export const GEMINI_NUDGE = 'Carry out the task described above.';

function createGeminiReader(): PresetReader {
  let model: string | undefined;
  let answer = '';
  let status: string | undefined;
  let failure: string | undefined;
  return {
    line(text) {
      const json = parseEventLine(text);
      if (!json) return text.trim() ? [{ kind: 'skipped', reason: 'not a JSON event' }] : [];
      const out: PresetEvent[] = [];
      const str = (v: unknown, or = ''): string => (typeof v === 'string' ? v : or);
      switch (json.type) {
        case 'init':
          if (typeof json.model === 'string') model = json.model;
          if (typeof json.session_id === 'string' && json.session_id)
            out.push({ kind: 'session', id: json.session_id });
          out.push({ kind: 'progress', text: `Gemini CLI started${model ? ` (${model})` : ''}` });
          return out;
        case 'message':
          if (json.role !== 'assistant' || typeof json.content !== 'string') return [];
          answer = json.delta === true ? answer + json.content : json.content;
          return [];
        case 'tool_use':
          // Text before a tool call was thinking aloud; the answer is what comes after the last one.
          if (answer.trim()) out.push({ kind: 'progress', text: oneLine(answer) });
          answer = '';
          out.push({
            kind: 'progress',
            text: describeToolUse(str(json.tool_name, 'tool'), json.parameters),
          });
          return out;
        case 'tool_result':
          return [];
        case 'error':
          if (json.severity === 'error') failure = `Gemini CLI error: ${oneLine(str(json.message), 500)}`;
          return [
            {
              kind: 'progress',
              text: `${str(json.severity, 'warning')}: ${oneLine(str(json.message), 160)}`,
            },
          ];
        case 'result': {
          status = typeof json.status === 'string' ? json.status : undefined;
          if (status === 'error') {
            const e = json.error as { message?: unknown } | undefined;
            failure = `Gemini CLI ended with an error${typeof e?.message === 'string' ? `: ${oneLine(e.message, 500)}` : ''}`;
          }
          const stats = statsSchema.safeParse(json.stats ?? {});
          if (!stats.success) return [{ kind: 'skipped', reason: 'malformed stats' }];
          const s = stats.data;
          const models = Object.keys(s.models ?? {});
          const name = models.length === 1 ? models[0] : model;
          return [
            {
              kind: 'usage',
              report: {
                inputTokens: s.input_tokens ?? 0,
                outputTokens: s.output_tokens ?? 0,
                cachedInputTokens: Math.min(s.cached ?? 0, s.input_tokens ?? 0),
                ...(name ? { model: name } : {}),
              },
            },
          ];
        }
        default:
          return [{ kind: 'skipped', reason: `unknown event type ${oneLine(String(json.type), 40)}` }];
      }
    },
    end(): PresetOutcome {
      if (failure) return { error: failure };
      if (status === 'success') return { result: answer };
      return {};
    },
  };
}

/** The Gemini CLI preset. */
export const geminiPreset: AgentPreset = {
  name: 'gemini',
  title: 'Gemini CLI',
  command: 'gemini',
  install: 'npm install -g @google/gemini-cli (or set agents[].cli to the gemini executable)',
  keyEnv: ['GEMINI_API_KEY'],
  versionArgs: ['--version'],
  firstRun(o) {
    return [
      '--output-format',
      'stream-json',
      ...(o.model ? ['-m', o.model] : []),
      ...o.extraArgs,
      '-p',
      GEMINI_NUDGE,
    ];
  },
  resumeRun(o) {
    return ['--resume', o.sessionId, ...this.firstRun(o)];
  },
  createReader: () => createGeminiReader(),
};
