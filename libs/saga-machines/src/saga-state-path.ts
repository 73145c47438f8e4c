import type { SagaStatus } from './saga-context';
import type { SagaStateValue } from './persisted-saga-snapshot';

/**
 * The state value as a dotted path, e.g. `EXECUTING.process_payment` or `COMPENSATED`. With
 * parallel regions, every active one, comma-separated, in `stepOrder` (the definition's steps):
 * `EXECUTING.book_flight,EXECUTING.book_hotel`.
 */
export function sagaStatePath(value: SagaStateValue, stepOrder?: readonly string[]): string {
  if (typeof value === 'string') return value;
  const [top, child] = Object.entries(value)[0];
  if (typeof child === 'string') return `${top}.${child}`;
  // In definition order: a stored snapshot's keys come back in PostgreSQL's jsonb order.
  const rank = (region: string) => stepOrder?.indexOf(region) ?? 0;
  const active = Object.entries(child)
    .filter(([, state]) => state === 'running')
    .map(([region]) => region)
    .sort((a, b) => rank(a) - rank(b))
    .map((region) => `${top}.${region}`);
  return active.length > 0 ? active.join(',') : top;
}

/** The top-level state of a dotted path, which is the saga's status. */
export function statusOfPath(path: string): SagaStatus {
  return path.split('.')[0] as SagaStatus;
}

/** The child state of a dotted path (a step name or `awaiting_in_flight_step`), if any. */
export function childOfPath(path: string): string | null {
  const dot = path.indexOf('.');
  return dot < 0 ? null : path.slice(dot + 1);
}
