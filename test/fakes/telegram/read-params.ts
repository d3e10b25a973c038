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
    const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(type);
    if (!boundary) throw new Error('multipart body without boundary');
    const parts = parseMultipart(body, boundary[1] ?? boundary[2]!);
    const files = new Map<string, Buffer>();
    const attachedIds = new Set<string>();
    for (const part of parts.values()) {
      const value = part.data.toString('utf8');
      if (part.fileName === undefined && value.startsWith('attach://'))
        attachedIds.add(value.slice('attach://'.length));
    }
    for (const [name, part] of parts) {
      if (attachedIds.has(name)) continue;
      const value = part.data.toString('utf8');
      const attached =
        part.fileName === undefined && value.startsWith('attach://') ? parts.get(value.slice(9)) : undefined;
      const file =
        attached?.fileName !== undefined ? attached : part.fileName !== undefined ? part : undefined;
      if (file) {
        params[name] = new File([file.data], file.fileName!, { type: file.contentType ?? '' });
        files.set(name, file.data);
      } else {
        params[name] = decodeFormValue(value);
      }
    }
    params.__files = files;
  }
  return params;
}

interface Part {
  data: Buffer;
  fileName?: string;
  contentType?: string;
}

/**
 * A lenient multipart/form-data reader. grammY writes headers without a space after the colon and an
 * unquoted `filename=`, which the real server takes but undici's `formData()` refuses.
 */
function parseMultipart(body: Buffer, boundary: string): Map<string, Part> {
  const parts = new Map<string, Part>();
  const delimiter = Buffer.from(`--${boundary}`);
  let pos = body.indexOf(delimiter);
  while (pos >= 0) {
    const start = pos + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const raw = body.subarray(start + 2, next - 2); // drop the CRLF after the delimiter and before the next
    const split = raw.indexOf('\r\n\r\n');
    const headers = raw.subarray(0, split < 0 ? 0 : split).toString('utf8');
    const data = Buffer.from(raw.subarray(split < 0 ? 0 : split + 4));
    const name = /(?:^|[;\s])name=(?:"([^"]*)"|([^;\r\n]+))/i.exec(headers);
    const fileName = /filename=(?:"([^"]*)"|([^;\r\n]+))/i.exec(headers);
    const contentType = /^content-type:\s*(.+)$/im.exec(headers);
    if (name) {
      const part: Part = { data };
      if (fileName) part.fileName = (fileName[1] ?? fileName[2]!).trim();
      if (contentType) part.contentType = contentType[1]!.trim();
      parts.set((name[1] ?? name[2]!).trim(), part);
    }
    pos = next;
  }
  return parts;
}
