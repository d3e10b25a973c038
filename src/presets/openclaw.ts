import { z } from 'zod';
import type { AgentPreset, PresetEvent, PresetOutcome, PresetReader } from './agent-preset.ts';
import { oneLine } from './event-lines.ts';

/**
 * OpenClaw (`openclaw`), run as `openclaw agent exec --message-file - --json`: one embedded agent
 * turn without a Gateway, the headless entry point its docs recommend for automation, in a temporary
 * state folder it removes afterwards. It prints one JSON envelope when done (no event stream):
 * `ok`, `status` (`ok`, `error`, `timeout`), `final` (the answer), `usage` (`input`, `output`),
 * `costUsd`, `model`, `provider`, `sessionId`, `error` (`message`, `kind`). Exit 0 ok, 1 error,
 * 2 timeout. `--timeout 0` leaves the deadline to the swarm's own task timeout.
 *
 * `agent exec` takes no session to continue (its state is thrown away), so a question cannot resume
 * one: the preset worker answers with a new run that has the question and answer in its prompt, and
 * says so. OpenClaw needs Node.js 24 or newer. Its providers and keys come from its own config or,
 * with `"args": ["--auth-env-only"]`, from the provider variables listed in `agents[].passEnv`.
 *
 * @see https://docs.openclaw.ai/cli/agent (the `agent exec` section; also shipped as docs/cli/agent.md)
 */

const envelopeSchema = z.looseObject({
  ok: z.boolean().optional(),
  status: z.string().optional(),
  final: z.string().nullable().optional(),
  usage: z
    .looseObject({ input: z.number().int().min(0).optional(), output: z.number().int().min(0).optional() })
    .optional(),
  costUsd: z.number().min(0).optional(),
  model: z.string().nullable().optional(),
  provider: z.string().nullable().optional(),
  sessionId: z.string().nullable().optional(),
  error: z.looseObject({ message: z.string().optional(), kind: z.string().optional() }).nullable().optional(),
});

/** The envelope may be printed over several lines: it is read whole when the run ends. */
const MAX_ENVELOPE_CHARS = 8 * 1024 * 1024;

function createOpenclawReader(): PresetReader {
  let text = '';
  return {
    line(line) {
      if (text.length + line.length <= MAX_ENVELOPE_CHARS) text += `${line}\n`;
      return [];
    },
    end(): PresetOutcome {
      const start = text.indexOf('{');
      if (start === -1) return {};
      let json: unknown;
      try {
        json = JSON.parse(text.slice(start));
      } catch {
        return { error: 'OpenClaw printed something that is not its JSON envelope' };
      }
      const parsed = envelopeSchema.safeParse(json);
      if (!parsed.success) return { error: 'OpenClaw printed a JSON envelope of an unknown shape' };
      const e = parsed.data;
      const events: PresetEvent[] = [];
      if (e.sessionId) events.push({ kind: 'session', id: e.sessionId });
      if (e.usage || e.costUsd !== undefined) {
        const model = e.model ? (e.provider ? `${e.provider}/${e.model}` : e.model) : undefined;
        events.push({
          kind: 'usage',
          report: {
            inputTokens: e.usage?.input ?? 0,
            outputTokens: e.usage?.output ?? 0,
            ...(e.costUsd !== undefined ? { costUsd: e.costUsd } : {}),
            ...(model ? { model } : {}),
          },
        });
      }
      if (e.ok === false || (e.status !== undefined && e.status !== 'ok'))
        return {
          events,
          error: `OpenClaw ended with ${e.status ?? 'an error'}${e.error?.message ? `: ${oneLine(e.error.message, 500)}` : ''}`,
        };
      return { events, result: e.final ?? '' };
    },
  };
}

/** The OpenClaw preset. */
export const openclawPreset: AgentPreset = {
  name: 'openclaw',
  title: 'OpenClaw',
  command: 'openclaw',
  install:
    'npm install -g openclaw (needs Node.js 24 or newer; or set agents[].cli to the openclaw executable)',
  keyEnv: [],
  versionArgs: ['--version'],
  firstRun(o) {
    return [
      'agent',
      'exec',
      '--message-file',
      '-',
      '--json',
      '--timeout',
      '0',
      ...(o.model ? ['--model', o.model] : []),
      ...o.extraArgs,
    ];
  },
  createReader: () => createOpenclawReader(),
};
