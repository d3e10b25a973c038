// Talks to the board's JSON API. State-changing calls carry the session's CSRF token.

let csrf = null;

/** An answer other than 2xx, with the server's message. */
export class ApiError extends Error {
  constructor(status, message, usage) {
    super(message);
    this.status = status;
    this.usage = usage;
  }
}

async function answerOf(response) {
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, body.error || response.statusText, body.usage);
  return body;
}

/** GET a JSON resource of the board. */
export async function getJson(path) {
  return answerOf(await fetch(path, { headers: { accept: 'application/json' }, credentials: 'same-origin' }));
}

/** The session: whether controls are allowed, and the CSRF token. */
export async function loadSession() {
  const session = await getJson('/api/session');
  csrf = session.csrf;
  return session;
}

/** Runs a command as typed in the chat (`/approve T-3`); a stale session is renewed once. */
export async function sendCommand(text, retried = false) {
  const response = await fetch('/api/command', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf ?? '' },
    body: JSON.stringify({ text }),
  });
  if (response.status === 403 && !retried) {
    const body = await response
      .clone()
      .json()
      .catch(() => ({}));
    if (/CSRF/.test(body.error ?? '')) {
      await loadSession();
      return sendCommand(text, true);
    }
  }
  return answerOf(response);
}
