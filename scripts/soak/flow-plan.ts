// The soak's flow saga (API.md Part 2, "Parallel steps, items, the pivot"): a registered
// definition with two parallel steps, a forEach step over 2–4 lines (concurrency 2) after
// both, then a final step, all with compensations, against the soak's own HTTP participant
// (flow-participant.ts). Each saga's input carries a seeded script of what that participant
// answers: retryable 503s, a permanent 422 on a chosen step or item, late replies past the
// step timeout, and compensations that cannot complete until the soak heals them.
import type { Rng } from './rng';

export const FLOW_DEFINITION = 'soak-flow';
export const FLOW_TIMEOUT_MS = 3000;
export const FLOW_MAX_ATTEMPTS = 4;

/** The definition document POSTed to /api/v1/definitions, its participant at `url`. */
export function flowDefinitionDocument(url: string): Record<string, unknown> {
  const retry = { maxAttempts: FLOW_MAX_ATTEMPTS, backoffMs: 100, maxBackoffMs: 400 };
  const step = (name: string, action: string, compensation: string, extra = {}) => ({
    name,
    participant: 'ledger',
    action,
    compensation,
    timeoutMs: FLOW_TIMEOUT_MS,
    retry,
    ...extra,
  });
  return {
    name: FLOW_DEFINITION,
    description: 'Chaos soak: two parallel holds, then the lines (2 at a time), then a commit',
    participants: { ledger: { url } },
    steps: [
      step('hold_a', 'hold', 'release'),
      step('hold_b', 'hold', 'release'),
      step('apply_lines', 'apply', 'revert', {
        dependsOn: ['hold_a', 'hold_b'],
        forEach: '/lines',
        concurrency: 2,
      }),
      step('commit', 'commit', 'rollback', { dependsOn: ['apply_lines'] }),
    ],
  };
}

/** The steps and what each depends on (the same graph as the document). */
export const FLOW_STEPS: { name: string; dependsOn: string[]; forEach: boolean }[] = [
  { name: 'hold_a', dependsOn: [], forEach: false },
  { name: 'hold_b', dependsOn: [], forEach: false },
  { name: 'apply_lines', dependsOn: ['hold_a', 'hold_b'], forEach: true },
  { name: 'commit', dependsOn: ['apply_lines'], forEach: false },
];

/**
 * What the participant answers the calls of one unit (`<step>:<kind>` or
 * `<step>:<kind>:<item index>`), counted by the calls it receives with that key:
 * - `transient`: the first `times` calls 503;
 * - `late`: the first `times` calls are applied, and answered after the step timeout;
 * - `reject`: 422 `SOAK_REJECTED` until healed;
 * - `unavailable`: 503 `SOAK_UNAVAILABLE` until healed (the attempts run out).
 */
export interface ParticipantFault {
  mode: 'transient' | 'late' | 'reject' | 'unavailable';
  times?: number;
}

export type FlowRule =
  | 'flow-ok'
  | 'flow-step-rejected'
  | 'flow-item-rejected'
  | 'flow-unavailable'
  | 'flow-compensation-stuck';

export interface FlowPlan {
  index: number;
  definition: typeof FLOW_DEFINITION;
  rule: FlowRule;
  input: {
    ref: string;
    lines: { line: number; amountCents: number }[];
    script: Record<string, ParticipantFault>;
  };
  /** Service-side faults (none: the participant is scripted through the input). */
  faults: [];
  cancelAfterMs: number | null;
  tags: string[];
  /** How the saga ends when no cancel is accepted (the script decides it). */
  expected: { status: 'COMPLETED' | 'COMPENSATED'; step: string | null; code: string | null };
}

export interface FlowMixOptions {
  timeoutRate: number;
  cancelRate: number;
}

/** Builds flow saga `index` of the run; the same rng state gives the same plan. */
export function planFlowSaga(
  rng: Rng,
  index: number,
  runId: string,
  mix: FlowMixOptions,
): FlowPlan {
  const n = rng.int(2, 4);
  const lines = Array.from({ length: n }, (_, line) => ({
    line,
    amountCents: rng.int(1, 500) * 100,
  }));
  const script: Record<string, ParticipantFault> = {};
  const tags: string[] = [];
  const units = [
    'hold_a',
    'hold_b',
    ...lines.map((l) => `apply_lines:${l.line}`),
    'commit',
  ] as const;
  const key = (unit: string, kind: 'execute' | 'compensate') => {
    const [step, item] = unit.split(':');
    return item === undefined ? `${step}:${kind}` : `${step}:${kind}:${item}`;
  };
  const put = (k: string, fault: ParticipantFault) => {
    if (script[k]) return false;
    script[k] = fault;
    return true;
  };

  // What decides the outcome: one permanent failure (and maybe a stuck compensation).
  const decide = rng.weighted({ none: 60, step: 8, item: 14, unavailable: 6, stuck: 12 });
  let rule: FlowRule = 'flow-ok';
  let failure: { step: string; code: string } | null = null;
  if (decide !== 'none') {
    // `stuck` needs a failure late enough that what it undoes surely succeeded first.
    const target =
      decide === 'item' || (decide === 'stuck' && rng.chance(0.5))
        ? `apply_lines:${rng.int(0, n - 1)}`
        : decide === 'stuck'
          ? 'commit'
          : rng.pick(units);
    const unavailable = decide === 'unavailable';
    put(key(target, 'execute'), { mode: unavailable ? 'unavailable' : 'reject' });
    failure = {
      step: target.split(':')[0],
      code: unavailable ? 'SOAK_UNAVAILABLE' : 'SOAK_REJECTED',
    };
    rule = unavailable
      ? 'flow-unavailable'
      : target.startsWith('apply_lines')
        ? 'flow-item-rejected'
        : 'flow-step-rejected';
    tags.push('forward-fault');
    if (decide === 'stuck') {
      // hold_a and hold_b succeeded before any line ran; every line before the commit did.
      const undone =
        target === 'commit' ? units.filter((u) => u !== 'commit') : ['hold_a', 'hold_b'];
      put(key(rng.pick(undone), 'compensate'), {
        mode: rng.chance(0.5) ? 'unavailable' : 'reject',
      });
      rule = 'flow-compensation-stuck';
      tags.push('compensation-fault');
    }
  }
  if (rng.chance(0.3)) {
    // Fewer 503s than attempts: the call still succeeds.
    const unit = rng.pick(units);
    if (
      put(key(unit, rng.chance(0.7) ? 'execute' : 'compensate'), {
        mode: 'transient',
        times: rng.int(1, 2),
      })
    )
      tags.push('transient');
  }
  const cancelAfterMs = rng.chance(mix.cancelRate) ? rng.int(0, 600) : null;
  if (cancelAfterMs !== null) tags.push('cancel');
  // A late reply is applied at the participant but times out: only the next attempt, with the
  // same key, learns the outcome. Also in sagas that halt meanwhile (a failure elsewhere, a
  // cancel): the step keeps its retries then, so an applied step ends succeeded and is undone.
  if (rng.chance(mix.timeoutRate * 8)) {
    const unit = rng.pick(units);
    if (put(key(unit, 'execute'), { mode: 'late', times: 1 })) tags.push('timeout');
  }
  return {
    index,
    definition: FLOW_DEFINITION,
    rule,
    input: { ref: `soak-${runId}-${index}`, lines, script },
    faults: [],
    cancelAfterMs,
    tags,
    expected: failure
      ? { status: 'COMPENSATED', ...failure }
      : { status: 'COMPLETED', step: null, code: null },
  };
}
