// Turns a model-generated compensation path (a list of machine events) into what a client
// does over HTTP to make the real service take that same path: faults injected with the
// saga, a cancel at the right moment, a retry when it is FAILED.
import type { SagaDefinition, SagaEvent } from '@app/saga-machines';
import type { CompensationPath } from '@app/saga-machines/testing';

export interface ScenarioFault {
  participant: string;
  action: string;
  mode: 'fail' | 'transient' | 'delay';
  times: 1;
  delayMs?: number;
}

export interface PathScenario {
  description: string;
  /** A CANCEL event before START: the API applies START as it creates, so HTTP cannot do this. */
  cancelBeforeStart: boolean;
  faults: ScenarioFault[];
  /** Cancel once the saga is in EXECUTING.<step> with this many failed attempts recorded. */
  cancel: { step: string; afterAttempts: number } | null;
  /** How many times POST /retry is sent, each when the saga is FAILED. */
  retries: number;
  expected: {
    status: string;
    stepStatuses: string[];
    /** Steps whose compensation succeeded, in the order they did. */
    compensated: string[];
  };
}

/** How long an in-flight call is held so that a cancel surely arrives while it runs. */
export const IN_FLIGHT_HOLD_MS = 1500;

export function scenarioOf(definition: SagaDefinition, path: CompensationPath): PathScenario {
  const events = path.steps
    .map((s) => s.event as { type: string })
    .filter((e): e is SagaEvent => e.type !== 'xstate.init');
  const stepOf = (name: string) => {
    const s = definition.steps.find((x) => x.name === name);
    if (!s) throw new Error(`path names unknown step ${name}`);
    return s;
  };
  const faults: ScenarioFault[] = [];
  const failedAttempts = new Map<string, number>();
  let cancel: PathScenario['cancel'] = null;
  let inFlight: string | null = null;
  let current: string | null = null;
  let retries = 0;
  const compensated: string[] = [];
  const started = events[0]?.type === 'START';

  for (const e of events) {
    switch (e.type) {
      case 'START':
        current = definition.steps[0].name;
        break;
      case 'CANCEL':
        if (started && current) {
          inFlight = current;
          cancel = { step: current, afterAttempts: failedAttempts.get(current) ?? 0 };
        }
        break;
      case 'RETRY':
        retries++;
        break;
      case 'STEP_SUCCEEDED': {
        const s = stepOf(e.step);
        if (inFlight === e.step) {
          faults.push({
            participant: s.participant,
            action: s.action,
            mode: 'delay',
            times: 1,
            delayMs: IN_FLIGHT_HOLD_MS,
          });
          inFlight = null;
        }
        const next = definition.steps.findIndex((x) => x.name === e.step) + 1;
        current = definition.steps[next]?.name ?? null;
        break;
      }
      case 'STEP_ATTEMPT_FAILED':
      case 'STEP_FAILED': {
        const s = stepOf(e.step);
        const mode = e.type === 'STEP_ATTEMPT_FAILED' ? 'transient' : 'fail';
        if (inFlight === e.step) {
          faults.push({
            participant: s.participant,
            action: s.action,
            mode,
            times: 1,
            delayMs: IN_FLIGHT_HOLD_MS,
          });
          inFlight = null;
        } else {
          faults.push({ participant: s.participant, action: s.action, mode, times: 1 });
        }
        failedAttempts.set(e.step, (failedAttempts.get(e.step) ?? 0) + 1);
        break;
      }
      case 'COMPENSATION_ATTEMPT_FAILED':
      case 'COMPENSATION_FAILED': {
        const s = stepOf(e.step);
        faults.push({
          participant: s.participant,
          // A compensation event names a step that has one.
          action: s.compensation as string,
          mode: e.type === 'COMPENSATION_ATTEMPT_FAILED' ? 'transient' : 'fail',
          times: 1,
        });
        break;
      }
      case 'COMPENSATION_SUCCEEDED':
        compensated.push(e.step);
        break;
    }
  }
  const ctx = path.state.context as { steps: { status: string }[] };
  return {
    description: path.description,
    cancelBeforeStart: !started,
    faults,
    cancel,
    retries,
    expected: {
      status: String(
        typeof path.state.value === 'string' ? path.state.value : Object.keys(path.state.value)[0],
      ),
      stepStatuses: ctx.steps.map((s) => s.status),
      compensated,
    },
  };
}
