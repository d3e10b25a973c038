/**
 * A `makeRequest` for @discordjs/rest that gives every 4xx answer a Discord-shaped error body.
 * @discordjs/rest reads a 4xx body as `{ code, message }`: JSON that is not an object (`null`, a
 * string) makes it throw a TypeError that loses the status, and an HTML page from a proxy becomes
 * "No Description". With this, each becomes a DiscordAPIError with its status and a message that
 * says what came back, so the adapter's error mapping can call it permanent like any 4xx.
 * @see https://discord.com/developers/docs/reference#error-messages
 */
import { DefaultRestOptions, type RESTOptions, type ResponseLike } from 'discord.js';

type MakeRequest = RESTOptions['makeRequest'];

/** How much of an odd body is quoted in the error message. */
const QUOTE_MAX = 80;

/** Wraps `inner` (the REST client's default when omitted); 2xx, 429 and 5xx answers pass untouched. */
export function withDiscordErrorBodies(inner?: MakeRequest): MakeRequest {
  const send: MakeRequest = inner ?? ((url, init) => DefaultRestOptions.makeRequest(url, init));
  return async (url, init) => {
    const res = await send(url, init);
    // 429s are read from headers and 5xx become HTTPError with the status: both already clear.
    if (res.status < 400 || res.status >= 500 || res.status === 429) return res;
    const text = await res.text();
    return toResponse(res, isDiscordError(text) ? text : JSON.stringify(oddBody(res, text)));
  };
}

/** True when `text` is a JSON object @discordjs/rest can read an error from. */
function isDiscordError(text: string): boolean {
  try {
    const body: unknown = JSON.parse(text);
    return (
      typeof body === 'object' && body !== null && !Array.isArray(body) && ('code' in body || 'error' in body)
    );
  } catch {
    return false;
  }
}

function oddBody(res: ResponseLike, text: string): { code: number; message: string } {
  const flat = text.replace(/\s+/g, ' ').trim();
  const quoted =
    flat === '' ? 'an empty body' : `"${flat.length > QUOTE_MAX ? `${flat.slice(0, QUOTE_MAX)}…` : flat}"`;
  return {
    code: 0,
    message:
      `HTTP ${res.status} ${res.statusText ?? ''}`.trim() +
      ` with ${quoted}, not a Discord error (a proxy in the way?)`,
  };
}

/** The answer again with `body` as JSON, since the original body was read. */
function toResponse(res: ResponseLike, body: string): ResponseLike {
  const headers = new Headers();
  res.headers.forEach((value, name) => {
    if (name !== 'content-length' && name !== 'content-encoding') headers.set(name, value);
  });
  headers.set('content-type', 'application/json');
  return new Response(body, { status: res.status, statusText: res.statusText, headers });
}
