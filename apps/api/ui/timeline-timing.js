// The timeline's timing: how long each attempt took, and until when an accepted one waits.
import { formatDuration, formatTime } from './dom.js';

/** The entries of an async attempt's acceptance: the participant will call back. */
export const ACCEPTED = new Set(['STEP_ACCEPTED', 'COMPENSATION_ACCEPTED']);

/** `until` as a time of day (with the date when it is not the day of `at`). */
function clockTime(iso, at) {
  const d = new Date(iso);
  const sameDay = new Date(at).toDateString() === d.toDateString();
  return sameDay ? d.toLocaleTimeString(undefined, { hour12: false }) : formatTime(iso);
}

/** What an accepted attempt waits for, in words. */
export function acceptedText(e) {
  const until = e.data?.awaitingCallbackUntil;
  if (!until) return 'accepted — waiting for callback';
  const wait = new Date(until) - new Date(e.at);
  return `accepted — waiting for callback until ${clockTime(until, e.at)}${wait > 0 ? ` (up to ${formatDuration(wait)})` : ''}`;
}

/** How long the attempt an outcome entry reports took: since its dispatch or previous attempt. */
export function durations(events) {
  const since = new Map();
  const out = new Map();
  for (const e of events) {
    const family = e.type.startsWith('COMPENSATION') ? 'c' : e.type.startsWith('STEP') ? 's' : null;
    if (!family || !e.step) continue;
    const key = `${family}:${e.step}`;
    if (!e.type.endsWith('_STARTED') && since.has(key))
      out.set(e.seq, new Date(e.at) - new Date(since.get(key)));
    // An acceptance is not the attempt's end: its outcome counts from the dispatch too.
    if (!ACCEPTED.has(e.type)) since.set(key, e.at);
  }
  return out;
}
