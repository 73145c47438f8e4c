// Time travel for the visualizer: the saga's state after every history entry, computed by
// folding the persisted machine events through the pure machine (never guessed from types).
import {
  applySagaEvent,
  initialSagaSnapshot,
  sagaView,
  type PersistedSagaSnapshot,
  type SagaDefinition,
  type SagaEvent,
  type SagaStatus,
} from '@app/saga-machines';

/** One persisted history entry, as much of it as replay needs. */
export interface ReplayableEntry {
  seq: number;
  type: string;
  /** The machine event the entry records, or null for a derived entry (state unchanged). */
  event: unknown;
}

/** A step as it stood after one history entry. */
export interface ReplayedStep {
  name: string;
  status: string;
  attempts: number;
  compensation: { status: string; attempts: number } | null;
  /** `forEach` steps only: each item's status and its compensation's. */
  items?: { index: number; status: string; compensation: { status: string } | null }[];
}

/** The saga after the history entry `seq`. */
export interface ReplayedState {
  seq: number;
  type: string;
  /** The machine event type applied at this entry, or null for a derived entry. */
  eventType: string | null;
  /** Whether the machine ignored the event (it did not fit the state). */
  ignored: boolean;
  state: string;
  status: SagaStatus;
  /**
   * A flow definition in EXECUTING or COMPENSATING: every region's state (`{ flight:
   * 'succeeded', hotel: 'running' }`), where `state` lists only the running ones; else null.
   */
  regions: Record<string, string> | null;
  steps: ReplayedStep[];
  error: { step: string | null; code: string; message: string } | null;
}

export interface SagaReplay {
  states: ReplayedState[];
  /** The state the replay ends in, and whether it equals the stored snapshot's. */
  finalState: string;
  consistent: boolean;
}

/** The regions of a parallel state value, or null for any other state. */
function regionsOf(value: PersistedSagaSnapshot['value']): Record<string, string> | null {
  if (typeof value === 'string') return null;
  const child = Object.values(value)[0];
  return typeof child === 'object' ? { ...child } : null;
}

/**
 * Replays `entries` (oldest first) over a fresh saga made from the stored snapshot's identity
 * and input. Pure: the same history always gives the same states.
 */
export function replaySagaStates(
  definition: SagaDefinition,
  stored: PersistedSagaSnapshot,
  entries: readonly ReplayableEntry[],
): SagaReplay {
  const { sagaId, input, createdAt } = stored.context;
  let snapshot = initialSagaSnapshot(definition, { sagaId, input, createdAt });
  const states: ReplayedState[] = [];
  for (const entry of entries) {
    let ignored = false;
    const event = entry.event as SagaEvent | null;
    if (event) {
      const result = applySagaEvent(definition, snapshot, event);
      snapshot = result.snapshot;
      ignored = result.ignored !== null;
    }
    const view = sagaView(definition, snapshot);
    states.push({
      seq: entry.seq,
      type: entry.type,
      eventType: event?.type ?? null,
      ignored,
      state: view.state,
      status: view.status,
      regions: regionsOf(snapshot.value),
      steps: view.steps.map((s) => ({
        name: s.name,
        status: s.status,
        attempts: s.attempts,
        compensation: s.compensation
          ? { status: s.compensation.status, attempts: s.compensation.attempts }
          : null,
        ...(s.items
          ? {
              items: s.items.map((i) => ({
                index: i.index,
                status: i.status,
                compensation: i.compensation ? { status: i.compensation.status } : null,
              })),
            }
          : {}),
      })),
      error: view.error,
    });
  }
  const finalState = sagaView(definition, snapshot).state;
  return { states, finalState, consistent: finalState === sagaView(definition, stored).state };
}
