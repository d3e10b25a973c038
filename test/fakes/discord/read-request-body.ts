import type { IncomingMessage } from 'node:http';

export interface RequestBody {
  json: Record<string, unknown>;
  /** The JSON body as sent (an array for bulk command overwrites). */
  raw?: unknown;
  files: Array<{ filename: string; content: Buffer }>;
}

/**
 * Reads a REST request body: JSON, or multipart/form-data with `payload_json` and `files[n]` parts
 * as discord.js sends attachments. Multipart is parsed with the platform's own `Response.formData`.
 */
export async function readRequestBody(req: IncomingMessage): Promise<RequestBody> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const type = req.headers['content-type'] ?? '';
  if (raw.length === 0) return { json: {}, files: [] };
  if (type.startsWith('multipart/form-data')) {
    const form = await new Response(raw, { headers: { 'content-type': type } }).formData();
    const payload = form.get('payload_json');
    const json = typeof payload === 'string' ? (JSON.parse(payload) as Record<string, unknown>) : {};
    const files: RequestBody['files'] = [];
    for (const [key, value] of form.entries()) {
      if (key.startsWith('files[') && typeof value !== 'string') {
        files.push({ filename: value.name, content: Buffer.from(await value.arrayBuffer()) });
      }
    }
    return { json, files };
  }
  const parsed = JSON.parse(raw.toString('utf8')) as unknown;
  const json =
    typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  return { json, raw: parsed, files: [] };
}
