import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake model API on 127.0.0.1 for running the real agent CLIs in tests: the Anthropic Messages API
 * (`POST /v1/messages`, streamed as server-sent events, for Claude Code through ANTHROPIC_BASE_URL)
 * and the OpenAI Responses API (`POST /v1/responses`, streamed, for Codex through a custom model
 * provider's `base_url`). What the "model" says is scripted by the test from the conversation so far.
 *
 * @see https://docs.anthropic.com/en/api/messages-streaming
 * @see https://platform.openai.com/docs/api-reference/responses-streaming
 */

/** What the fake model does in one turn: say text, or call one tool (Claude Code's Bash, Codex's shell). */
export type ModelTurn =
  | { say: string; inputTokens?: number; outputTokens?: number }
  | { tool: { name: string; input: Record<string, unknown> }; inputTokens?: number; outputTokens?: number };

/** The conversation as the fake model sees it: every user and tool-result text, in order, and the API. */
export interface ModelView {
  api: 'anthropic' | 'openai';
  /** Text of the user messages (and tool results), oldest first. */
  userTexts: string[];
  /** How many tool results the conversation holds already. */
  toolResults: number;
  /** The raw request body. */
  body: Record<string, unknown>;
}

export interface FakeModelApi {
  url: string;
  port: number;
  /** Every request received: method, path and body (for assertions and for learning what a CLI sends). */
  requests: { method: string; path: string; body: unknown }[];
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { raw: text };
  }
}

/** The text of an Anthropic or OpenAI content value (a string or a list of blocks). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((block: Record<string, unknown>) => {
      if (typeof block.text === 'string') return block.text;
      if (block.type === 'tool_result') return textOf(block.content);
      if (typeof block.output === 'string') return block.output;
      return '';
    })
    .join('\n');
}

function anthropicView(body: Record<string, unknown>): ModelView {
  const messages = Array.isArray(body.messages) ? (body.messages as Record<string, unknown>[]) : [];
  const userTexts: string[] = [];
  let toolResults = 0;
  for (const m of messages) {
    if (m.role !== 'user') continue;
    userTexts.push(textOf(m.content));
    if (Array.isArray(m.content))
      toolResults += (m.content as Record<string, unknown>[]).filter((b) => b.type === 'tool_result').length;
  }
  return { api: 'anthropic', userTexts, toolResults, body };
}

function openaiView(body: Record<string, unknown>): ModelView {
  const input = Array.isArray(body.input) ? (body.input as Record<string, unknown>[]) : [];
  const userTexts: string[] = [];
  let toolResults = 0;
  for (const item of input) {
    if (item.type === 'function_call_output' || item.type === 'custom_tool_call_output') {
      toolResults++;
      userTexts.push(typeof item.output === 'string' ? item.output : JSON.stringify(item.output));
    } else if (item.role === 'user') userTexts.push(textOf(item.content));
  }
  return { api: 'openai', userTexts, toolResults, body };
}

function sse(res: ServerResponse, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

let counter = 0;
const nextId = (prefix: string): string => `${prefix}_${Date.now().toString(36)}${(++counter).toString(36)}`;

/** Streams one Anthropic Messages API turn. */
function streamAnthropic(res: ServerResponse, turn: ModelTurn, model: string): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const inputTokens = turn.inputTokens ?? 100;
  const outputTokens = turn.outputTokens ?? 20;
  sse(res, 'message_start', {
    type: 'message_start',
    message: {
      id: nextId('msg'),
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: inputTokens, output_tokens: 1 },
    },
  });
  if ('say' in turn) {
    sse(res, 'content_block_start', {
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'text', text: '' },
    });
    sse(res, 'content_block_delta', {
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text: turn.say },
    });
    sse(res, 'content_block_stop', { type: 'content_block_stop', index: 0 });
  } else {
    sse(res, 'content_block_start', {
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'tool_use', id: nextId('toolu'), name: turn.tool.name, input: {} },
    });
    sse(res, 'content_block_delta', {
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'input_json_delta', partial_json: JSON.stringify(turn.tool.input) },
    });
    sse(res, 'content_block_stop', { type: 'content_block_stop', index: 0 });
  }
  sse(res, 'message_delta', {
    type: 'message_delta',
    delta: { stop_reason: 'say' in turn ? 'end_turn' : 'tool_use', stop_sequence: null },
    usage: { output_tokens: outputTokens },
  });
  sse(res, 'message_stop', { type: 'message_stop' });
  res.end();
}

/** Streams one OpenAI Responses API turn. */
function streamOpenai(res: ServerResponse, turn: ModelTurn, model: string): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const responseId = nextId('resp');
  const inputTokens = turn.inputTokens ?? 100;
  const outputTokens = turn.outputTokens ?? 20;
  const base = { id: responseId, object: 'response', created_at: Math.floor(Date.now() / 1000), model };
  sse(res, 'response.created', {
    type: 'response.created',
    response: { ...base, status: 'in_progress', output: [] },
  });
  let item: Record<string, unknown>;
  if ('say' in turn) {
    const id = nextId('msg');
    item = {
      type: 'message',
      id,
      role: 'assistant',
      status: 'completed',
      content: [{ type: 'output_text', text: turn.say, annotations: [] }],
    };
    sse(res, 'response.output_item.added', {
      type: 'response.output_item.added',
      output_index: 0,
      item: { ...item, status: 'in_progress', content: [] },
    });
    sse(res, 'response.output_text.delta', {
      type: 'response.output_text.delta',
      item_id: id,
      output_index: 0,
      content_index: 0,
      delta: turn.say,
    });
    sse(res, 'response.output_text.done', {
      type: 'response.output_text.done',
      item_id: id,
      output_index: 0,
      content_index: 0,
      text: turn.say,
    });
  } else {
    item = {
      type: 'function_call',
      id: nextId('fc'),
      call_id: nextId('call'),
      name: turn.tool.name,
      arguments: JSON.stringify(turn.tool.input),
      status: 'completed',
    };
    sse(res, 'response.output_item.added', { type: 'response.output_item.added', output_index: 0, item });
  }
  sse(res, 'response.output_item.done', { type: 'response.output_item.done', output_index: 0, item });
  sse(res, 'response.completed', {
    type: 'response.completed',
    response: {
      ...base,
      status: 'completed',
      output: [item],
      usage: {
        input_tokens: inputTokens,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: outputTokens,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: inputTokens + outputTokens,
      },
    },
  });
  res.end();
}

/**
 * Starts the fake on a free port of 127.0.0.1. `script` decides each turn from the conversation;
 * unknown routes answer 404 with a JSON error (and are recorded), so a CLI's side requests fail fast.
 */
export async function startFakeModelApi(
  script: (view: ModelView) => ModelTurn,
  model = 'fake-model-1',
): Promise<FakeModelApi> {
  const requests: FakeModelApi['requests'] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = (await readBody(req)) as Record<string, unknown>;
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      requests.push({ method: req.method ?? 'GET', path, body });
      try {
        if (req.method === 'POST' && path.endsWith('/v1/messages/count_tokens')) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ input_tokens: 100 }));
        } else if (req.method === 'POST' && path.endsWith('/v1/messages')) {
          streamAnthropic(
            res,
            script(anthropicView(body)),
            typeof body.model === 'string' ? body.model : model,
          );
        } else if (req.method === 'POST' && path.endsWith('/responses')) {
          streamOpenai(res, script(openaiView(body)), typeof body.model === 'string' ? body.model : model);
        } else {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { type: 'not_found_error', message: `no route ${path}` } }));
        }
      } catch (err) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { type: 'api_error', message: String(err) } }));
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
