/**
 * Reads Bot API parameters the ways the real server accepts them: query string, JSON,
 * url-encoded and multipart bodies. Multipart files (grammY sends `attach://<id>` plus a part named
 * `<id>`) become `File` values, and their bytes are kept under `__files` by parameter name.
 */
import type { IncomingMessage } from 'node:http';
import type { Params } from './bot-api-methods.ts';

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Form values are strings; objects and booleans arrive JSON-encoded. */
function decodeFormValue(value: string): unknown {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (value.startsWith('{') || value.startsWith('[')) {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }
  return value;
}

/** Parses the request's parameters; throws on a malformed body. */
export async function readParams(req: IncomingMessage, url: URL): Promise<Params> {
  const params: Params = {};
  for (const [key, value] of url.searchParams) params[key] = decodeFormValue(value);
  const body = await readBody(req);
  if (body.length === 0) return params;
  const type = req.headers['content-type'] ?? '';
  if (type.startsWith('application/json')) {
    Object.assign(params, JSON.parse(body.toString('utf8')) as Params);
  } else if (type.startsWith('application/x-www-form-urlencoded')) {
    for (const [key, value] of new URLSearchParams(body.toString('utf8')))
      params[key] = decodeFormValue(value);
  } else if (type.startsWith('multipart/form-data')) {
    const form = await new Response(body, { headers: { 'content-type': type } }).formData();
    const files = new Map<string, Buffer>();
    const parts = new Map<string, string | File>();
    for (const [key, value] of form) parts.set(key, value);
    for (const [key, value] of parts) {
      if (typeof value !== 'string') continue;
      const attached = value.startsWith('attach://') ? parts.get(value.slice('attach://'.length)) : undefined;
      if (attached !== undefined && typeof attached !== 'string') {
        params[key] = attached;
        files.set(key, Buffer.from(await attached.arrayBuffer()));
      } else {
        params[key] = decodeFormValue(value);
      }
    }
    // A file sent directly under its parameter name, without attach://.
    for (const [key, value] of parts) {
      if (typeof value !== 'string' && !files.has(key) && ![...parts.values()].includes(`attach://${key}`)) {
        params[key] = value;
        files.set(key, Buffer.from(await value.arrayBuffer()));
      }
    }
    params.__files = files;
  }
  return params;
}
