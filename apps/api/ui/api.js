// The API key (asked once, kept for the tab in sessionStorage) and calls to /api/v1.

const KEY_STORAGE = 'sagachart.apiKey';

export class Unauthorized extends Error {
  name = 'Unauthorized';
}

export function apiKey() {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function setApiKey(key) {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
}

/**
 * `#key=<key>` (what the dev start prints) signs in: the key is stored and removed from the
 * address bar at once, so it is neither bookmarked nor shared by copying the URL.
 */
export function takeKeyFromHash() {
  const match = /^#key=([^&]+)/.exec(window.location.hash);
  if (!match) return false;
  setApiKey(decodeURIComponent(match[1]));
  window.history.replaceState(
    null,
    '',
    `${window.location.pathname}${window.location.search}#/sagas`,
  );
  return true;
}

function headers(extra = {}) {
  return { Authorization: `Bearer ${apiKey()}`, ...extra };
}

/** GET /api/v1<path> as JSON; 401 throws Unauthorized, other errors carry the API's message. */
export async function getJson(path, { signal } = {}) {
  const res = await fetch(`/api/v1${path}`, {
    headers: headers({ Accept: 'application/json' }),
    signal,
  });
  if (res.status === 401) throw new Unauthorized('The API key was refused.');
  if (res.ok) return res.json();
  const body = await res.json().catch(() => null);
  const err = new Error(body?.message ?? `${res.status} ${res.statusText}`);
  err.status = res.status;
  throw err;
}

/**
 * Follows `GET /sagas/:id/events` as Server-Sent Events. EventSource cannot send an
 * Authorization header, so this reads the stream with fetch. Resolves when the server ends
 * the stream (the saga is final) or `signal` aborts.
 */
export async function streamEvents(sagaId, afterSeq, onEvent, signal) {
  const res = await fetch(`/api/v1/sagas/${encodeURIComponent(sagaId)}/events`, {
    headers: headers({ Accept: 'text/event-stream', 'Last-Event-ID': String(afterSeq) }),
    signal,
  });
  if (res.status === 401) throw new Unauthorized('The API key was refused.');
  if (!res.ok || !res.body) throw new Error(`event stream: ${res.status}`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      if (data) onEvent(JSON.parse(data));
    }
  }
}
