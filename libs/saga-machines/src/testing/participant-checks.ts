// Property checks for a participant's action/compensation pair, generic over how the
// participant is reached and observed: pure TypeScript, no database or queue in sight.

/** A participant as the checks see it: call an operation by name, observe its state. */
export interface ParticipantProbe<Ctx = unknown> {
  invoke(operation: string, ctx: Ctx): Promise<unknown>;
  /** A JSON-like picture of everything the participant owns (compared with deep equality). */
  observe(): Promise<unknown>;
}

/** One step of a participant: the action, its compensation, and how to call each. */
export interface ActionCompensationPair<Ctx = unknown> {
  action: string;
  compensation: string;
  actionContext: Ctx;
  /** The compensation's context, given the action's output (its `forwardOutput`). */
  compensationContext(actionOutput: unknown): Ctx;
}

/**
 * A difference a BUSINESS compensation leaves on purpose (a fee kept, a message that cannot
 * be unsent), declared by name so that a check passing says what it tolerated.
 */
export interface CompensationResidue {
  /** What the residue is, e.g. `'processing fee kept by the payment service'`. */
  name: string;
  /** The state expected after action + compensation, computed from the state before. */
  expectedAfter(facts: {
    before: unknown;
    actionOutput: unknown;
    compensationOutput: unknown;
  }): unknown;
}

/** Thrown when a participant violates a checked property; `details` holds the evidence. */
export class ParticipantCheckError extends Error {
  override readonly name = 'ParticipantCheckError';
  constructor(
    readonly check: string,
    message: string,
    readonly details: Record<string, unknown>,
  ) {
    super(`${check}: ${message}`);
  }
}

/** What an idempotency check saw: both results and the state after each call. */
export interface IdempotencyCheckResult {
  operation: string;
  firstResult: unknown;
  secondResult: unknown;
  stateAfterFirst: unknown;
  stateAfterSecond: unknown;
}

/** What the restore check saw, and whether it needed a declared residue to pass. */
export interface RestoreCheckResult {
  action: string;
  compensation: string;
  /** `perfect`: state fully restored; `business`: restored up to the named residue. */
  kind: 'perfect' | 'business';
  residue: string | null;
  before: unknown;
  after: unknown;
  actionOutput: unknown;
  compensationOutput: unknown;
}

/**
 * (c) An action called twice with the same context changes nothing the second time and
 * returns the first result.
 * @throws ParticipantCheckError on a different result or a changed state
 */
export async function checkActionIdempotent<Ctx>(
  probe: ParticipantProbe<Ctx>,
  pair: ActionCompensationPair<Ctx>,
): Promise<IdempotencyCheckResult> {
  return callTwice('checkActionIdempotent', probe, pair.action, pair.actionContext);
}

/**
 * (a) After the action, its compensation called twice changes nothing the second time and
 * returns the first result.
 * @throws ParticipantCheckError on a different result or a changed state
 */
export async function checkCompensationIdempotent<Ctx>(
  probe: ParticipantProbe<Ctx>,
  pair: ActionCompensationPair<Ctx>,
): Promise<IdempotencyCheckResult> {
  const actionOutput = await probe.invoke(pair.action, pair.actionContext);
  return callTwice(
    'checkCompensationIdempotent',
    probe,
    pair.compensation,
    pair.compensationContext(actionOutput),
  );
}

/**
 * (b) Action then compensation leave the participant as it was before the action: exactly
 * (a perfect compensation), or as `residue` declares (a business compensation).
 * `stateOf` picks what counts as state from an observation; leave it out to compare all.
 * @throws ParticipantCheckError when the state after differs from the one expected
 */
export async function checkCompensationRestores<Ctx>(
  probe: ParticipantProbe<Ctx>,
  pair: ActionCompensationPair<Ctx>,
  options: { residue?: CompensationResidue; stateOf?: (observed: unknown) => unknown } = {},
): Promise<RestoreCheckResult> {
  const stateOf = options.stateOf ?? ((observed: unknown) => observed);
  const before = stateOf(await probe.observe());
  const actionOutput = await probe.invoke(pair.action, pair.actionContext);
  const compensationOutput = await probe.invoke(
    pair.compensation,
    pair.compensationContext(actionOutput),
  );
  const after = stateOf(await probe.observe());
  const expected = options.residue
    ? options.residue.expectedAfter({ before, actionOutput, compensationOutput })
    : before;
  const difference = firstDifference(expected, after);
  if (difference !== null) {
    const what = options.residue
      ? `does not restore the state up to the declared residue '${options.residue.name}'`
      : 'does not restore the state (no residue declared: a perfect compensation was expected)';
    throw new ParticipantCheckError(
      'checkCompensationRestores',
      `${pair.compensation} after ${pair.action} ${what}; first difference at ${difference}.`,
      { expected, after, before, actionOutput, compensationOutput },
    );
  }
  return {
    action: pair.action,
    compensation: pair.compensation,
    kind: options.residue ? 'business' : 'perfect',
    residue: options.residue?.name ?? null,
    before,
    after,
    actionOutput,
    compensationOutput,
  };
}

async function callTwice<Ctx>(
  check: string,
  probe: ParticipantProbe<Ctx>,
  operation: string,
  ctx: Ctx,
): Promise<IdempotencyCheckResult> {
  const firstResult = await probe.invoke(operation, ctx);
  const stateAfterFirst = await probe.observe();
  const secondResult = await probe.invoke(operation, ctx);
  const stateAfterSecond = await probe.observe();
  const evidence = { operation, firstResult, secondResult, stateAfterFirst, stateAfterSecond };
  const resultDifference = firstDifference(firstResult, secondResult);
  if (resultDifference !== null) {
    throw new ParticipantCheckError(
      check,
      `a repeated ${operation} returned a different result (first difference at ${resultDifference}); ` +
        'a repeat must return the first result.',
      evidence,
    );
  }
  const stateDifference = firstDifference(stateAfterFirst, stateAfterSecond);
  if (stateDifference !== null) {
    throw new ParticipantCheckError(
      check,
      `a repeated ${operation} changed the state (first difference at ${stateDifference}); ` +
        'a repeat must change nothing.',
      evidence,
    );
  }
  return evidence;
}

/**
 * The path of the first difference between two JSON-like values (`$` when the roots
 * differ, `$.stock[2].available` deeper down), or null when they are deeply equal.
 */
export function firstDifference(a: unknown, b: unknown, path = '$'): string | null {
  if (Object.is(a, b)) return null;
  if (a instanceof Date && b instanceof Date) {
    return a.getTime() === b.getTime() ? null : path;
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return path;
  if (Array.isArray(a) !== Array.isArray(b)) return path;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path}.length`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d !== null) return d;
    }
    return null;
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  for (const key of [...keys].sort()) {
    // A missing key and an undefined one are the same thing in JSON.
    const d = firstDifference(left[key], right[key], `${path}.${key}`);
    if (d !== null) return d;
  }
  return null;
}
