// The model-based kit on flow definitions (dependsOn, forEach, pivot), issue #10: every
// compensation path xstate/graph generates for the fixtures under test/fixtures/flow is checked
// against the flow rules (CompensationLedger), and together the paths take every transition of
// the flow machine into COMPENSATING, FAILED and COMPENSATED, eventless ones included.
//
// THE BOUND (argued in libs/saga-machines/src/testing/compensation-model.ts): every interleaving
// of the outcomes in flight; at most one retryable attempt failure per step, item and
// compensation per round (while the saga stops, the one that ends a step is always explored);
// one RETRY round; cancel reason 'requested'; concurrency + 1 items per forEach step (3 here).
// No guard reads an attempt count, the retry round or the cancel reason, and the machine sees a
// forEach step's items only through step-level facts that c + 1 items all reach, so a larger
// bound adds paths but no transition into compensation.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  applySagaEvent,
  definitionFromDocument,
  startSaga,
  type SagaDefinition,
  type SagaEvent,
  type SagaStepResult,
} from '@app/saga-machines';
import {
  CompensationLedger,
  checkCompensationPath,
  checkCompensationTransitionCoverage,
  compensationModelInput,
  compensationTransitions,
  generateCompensationPaths,
  invocationKey,
  type CompensationModelOptions,
  type CompensationPath,
  type CompensationPathResult,
} from '@app/saga-machines/testing';

const ROOT = path.resolve(__dirname, '../..');
const FIXTURES = path.join(ROOT, 'test/fixtures/flow');
const load = (file: string) =>
  definitionFromDocument(JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8')));

/** The bound, spelled out (these are also the defaults); items: concurrency + 1 from the input. */
const BOUND = {
  maxAttemptFailures: 1,
  maxRetryRounds: 1,
  cancelReasons: ['requested'],
} as const satisfies CompensationModelOptions;

/** Pinned: a change to the flow machine or the model that alters the paths must be looked at. */
const PINNED = {
  diamond: { file: 'diamond.definition.json', paths: 417, transitions: 21 },
  'diamond-pivot': { file: 'diamond-pivot.definition.json', paths: 329, transitions: 18 },
  'for-each': { file: 'for-each.definition.json', paths: 773, transitions: 17 },
} as const;

type Name = keyof typeof PINNED;
const fixtures = (Object.keys(PINNED) as Name[]).map((name) => {
  const definition = load(PINNED[name].file);
  const started = Date.now();
  const paths = generateCompensationPaths(definition, {
    ...BOUND,
    input: compensationModelInput(definition),
  });
  return { name, definition, paths, ms: Date.now() - started };
});
// Each path is checked once (by its own test or by whichever test asks first).
const checked = new Map<CompensationPath, CompensationPathResult>();
function check(definition: SagaDefinition, p: CompensationPath): CompensationPathResult {
  const known = checked.get(p);
  if (known) return known;
  const result = checkCompensationPath(definition, p);
  checked.set(p, result);
  return result;
}
const byName = (name: Name) => fixtures.find((f) => f.name === name) as (typeof fixtures)[number];
const descriptions = (name: Name) => byName(name).paths.map((p) => p.description);

describe.each(fixtures)('$name: every compensation path (model-based, xstate/graph)', (f) => {
  const pinned = PINNED[f.name];

  it('generates the pinned number of paths within the bound', () => {
    const outcomes = { COMPENSATED: 0, FAILED: 0 };
    for (const p of f.paths) outcomes[check(f.definition, p).status as 'FAILED']++;
    console.log(
      `${f.name}: ${f.paths.length} compensation paths in ${f.ms} ms ` +
        `(${outcomes.COMPENSATED} COMPENSATED, ${outcomes.FAILED} FAILED); ` +
        `${compensationTransitions(f.definition).length} transitions into compensation`,
    );
    expect(f.paths).toHaveLength(pinned.paths);
    expect(compensationTransitions(f.definition)).toHaveLength(pinned.transitions);
  });

  it.each(f.paths.map((p) => [p.description, p] as const))('%s', (_d, p) => {
    const result = check(f.definition, p);
    expect(result.status).toBe(p.state.value);
  });

  it('together they take every transition into COMPENSATING, FAILED and COMPENSATED', () => {
    expect(checkCompensationTransitionCoverage(f.definition, f.paths)).toEqual([]);
  });
});

describe('what the flow paths cover', () => {
  it('the forEach model runs concurrency + 1 items', () => {
    const { definition, paths } = byName('for-each');
    const seats = definition.steps.find((s) => s.name === 'seats');
    expect(seats?.concurrency).toBe(2);
    expect(compensationModelInput(definition)).toEqual({
      passengers: ['item-0', 'item-1', 'item-2'],
    });
    expect(paths[0].steps[0].state.context.input).toEqual(compensationModelInput(definition));
  });

  it('diamond: failure and cancel at each step, each failed compensation, parallel undo, RETRY', () => {
    const all = descriptions('diamond');
    for (const step of ['a', 'b', 'c', 'd']) {
      expect(all.some((d) => d.includes(`STEP_FAILED(${step})`))).toBe(true);
      expect(all.some((d) => d.includes(`STEP_ATTEMPT_FAILED(${step})`))).toBe(true);
      expect(all.some((d) => d.includes(`COMPENSATION_FAILED(${step})`))).toBe(true);
      expect(all.some((d) => d.includes(`COMPENSATION_ATTEMPT_FAILED(${step})`))).toBe(true);
      expect(all.some((d) => new RegExp(`CANCEL → .*STEP_SUCCEEDED\\(${step}\\)`).test(d))).toBe(
        true,
      );
    }
    // b and c are undone in either order, and one failing lets the other finish first.
    expect(all).toContain(
      'START → STEP_SUCCEEDED(a) → STEP_SUCCEEDED(b) → STEP_FAILED(c) → COMPENSATION_SUCCEEDED(b) → COMPENSATION_SUCCEEDED(a) ⇒ COMPENSATED',
    );
    expect(
      all.some((d) => /COMPENSATION_FAILED\(b\) → COMPENSATION_SUCCEEDED\(c\) ⇒ FAILED$/.test(d)),
    ).toBe(true);
    expect(all.some((d) => /RETRY → .*⇒ COMPENSATED$/.test(d))).toBe(true);
  });

  it('for-each: exactly the succeeded items are undone, in reverse index order', () => {
    const { definition, paths } = byName('for-each');
    const gap = paths
      .map((p) => check(definition, p))
      .find(
        (r) =>
          r.status === 'COMPENSATED' &&
          r.succeeded.includes('seats#0') &&
          r.succeeded.includes('seats#2') &&
          !r.succeeded.includes('seats#1'),
      );
    expect(gap?.compensations).toEqual(['seats#2', 'seats#0', 'reserve']);
    const all = descriptions('for-each');
    expect(all.some((d) => d.includes('COMPENSATION_FAILED(seats#1)'))).toBe(true);
    // Stopped with an item never started (it waited for a free slot).
    const stopped = paths.find(
      (p) =>
        p.state.context.steps.find((s) => s.name === 'seats')?.items?.[2].status === 'pending' &&
        p.state.value === 'COMPENSATED',
    );
    expect(stopped).toBeDefined();
  });

  it('diamond-pivot: past the pivot nothing is undone; FAILED, then RETRY goes forward', () => {
    const { definition, paths } = byName('diamond-pivot');
    const past = paths.filter((p) => p.description.includes('STEP_SUCCEEDED(p)'));
    expect(past.length).toBeGreaterThan(0);
    for (const p of past) {
      const result = check(definition, p);
      expect(result.compensations).toEqual([]);
      expect(result.status).toBe('FAILED');
    }
    expect(past.some((p) => /→ RETRY → .*STEP_FAILED\(e\)/.test(p.description))).toBe(true);
    expect(descriptions('diamond-pivot').some((d) => d.includes('STEP_FAILED(p)'))).toBe(true);
  });
});

describe('a cancel accepted while the last steps run is honoured (#10)', () => {
  it('diamond: cancel during d, then d succeeds: d, b, c, a are undone, not COMPLETED', () => {
    const definition = byName('diamond').definition;
    const at = '2030-01-01T00:00:00.000Z';
    let r: SagaStepResult = startSaga(definition, { sagaId: 's', input: {}, createdAt: at });
    const send = (event: SagaEvent) => {
      r = applySagaEvent(definition, r.snapshot, event);
      expect(r.ignored).toBeNull();
    };
    for (const step of ['a', 'b', 'c'])
      send({ type: 'STEP_SUCCEEDED', step, attempt: 1, output: null, at });
    send({ type: 'CANCEL', reason: 'requested', at });
    send({ type: 'STEP_SUCCEEDED', step: 'd', attempt: 1, output: null, at });
    expect(r.view.status).toBe('COMPENSATING');
    expect(r.commands.map((c) => `${c.kind}:${c.step}`)).toEqual(['compensate:d']);
  });
});

describe('the checker can fail', () => {
  const diamond = () => byName('diamond').definition;
  const forEach = () => byName('for-each').definition;
  const cmd = (kind: 'execute' | 'compensate', step: string, item?: number) => ({
    kind,
    step,
    ...(item === undefined ? {} : { item: { index: item, value: null } }),
  });
  const at = '2030-01-01T00:00:00.000Z';
  const ok = (step: string, item?: number): SagaEvent => ({
    type: 'STEP_SUCCEEDED',
    step,
    item,
    attempt: 1,
    output: null,
    at,
  });
  /** A ledger that saw `events`, each step or item started (as the machine would) before it reports. */
  const ledgerAfter = (definition: SagaDefinition, events: SagaEvent[], input: unknown = {}) => {
    const ledger = new CompensationLedger(definition, input);
    for (const e of events) {
      if (
        e.type.startsWith('STEP_') &&
        'step' in e &&
        !ledger.running.has(invocationKey(e.step, e.item))
      )
        expect(ledger.violation(cmd('execute', e.step, e.item))).toBeNull();
      ledger.record(e);
    }
    return ledger;
  };

  it('a compensation before a succeeded dependent was undone (an order swapped)', () => {
    const cancel: SagaEvent = { type: 'CANCEL', reason: 'requested', at };
    const ledger = ledgerAfter(diamond(), [ok('a'), ok('b'), cancel]);
    expect(ledger.violation(cmd('compensate', 'a'))).toBe(
      'a compensated before its dependents b were undone',
    );
    expect(ledger.violation(cmd('compensate', 'c'))).toBe('c compensated but it never succeeded');
  });

  it('items out of reverse index order, one undone twice, anything after the pivot', () => {
    const input = compensationModelInput(forEach());
    const error = { code: 'X', message: 'x', retryable: false };
    const ledger = ledgerAfter(
      forEach(),
      [
        ok('reserve'),
        ok('seats', 0),
        ok('seats', 1),
        { type: 'STEP_FAILED', step: 'seats', item: 2, attempt: 1, error, at },
      ],
      input,
    );
    expect(ledger.violation(cmd('compensate', 'seats', 0))).toBe(
      'seats#0 compensated before seats#1 (reverse index order)',
    );
    expect(ledger.violation(cmd('compensate', 'seats', 1))).toBeNull();
    ledger.record({
      type: 'COMPENSATION_SUCCEEDED',
      step: 'seats',
      item: 1,
      attempt: 1,
      output: null,
      at,
    });
    expect(ledger.violation(cmd('compensate', 'seats', 1))).toBe('seats#1 compensated twice');
    expect(ledger.violation(cmd('execute', 'charge'))).toBe(
      'charge started while the saga was stopping',
    );
    const pivot = ledgerAfter(
      byName('diamond-pivot').definition,
      ['a', 'b', 'c', 'p'].map((s) => ok(s)),
    );
    expect(pivot.violation(cmd('compensate', 'a'))).toBe('a compensated after the pivot succeeded');
  });

  it('a path cut short of its outcome is reported', () => {
    const { definition, paths } = byName('diamond');
    const p = paths.find((x) => x.description.endsWith('COMPENSATION_SUCCEEDED(a) ⇒ COMPENSATED'));
    const cut = { ...(p as CompensationPath), steps: (p as CompensationPath).steps.slice(0, -1) };
    expect(() => checkCompensationPath(definition, cut)).toThrow(
      /ends COMPENSATING, not COMPENSATED or FAILED/,
    );
  });
});

describe('npm run paths -- <flow definition.json>', () => {
  it('the diamond DAG: every path holds (no false order mismatch), exit 0', () => {
    const tsx = path.join(ROOT, 'node_modules/.bin/tsx');
    const file = path.join(FIXTURES, PINNED.diamond.file);
    const args = ['--tsconfig', 'tsconfig.json', 'scripts/compensation-paths.ts', file];
    const r = spawnSync(tsx, args, { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const { paths, transitions } = PINNED.diamond;
    const outcomes = byName('diamond').paths.reduce(
      (n, p) =>
        p.state.value === 'FAILED' ? { ...n, FAILED: n.FAILED + 1 } : { ...n, C: n.C + 1 },
      { C: 0, FAILED: 0 },
    );
    expect(r.stdout).toContain(
      `'diamond' v1, 4 steps: ${paths} compensation paths checked ` +
        `(${outcomes.C} end COMPENSATED, ${outcomes.FAILED} end FAILED); ` +
        `${transitions} of ${transitions} transitions into compensation taken.`,
    );
  });
});
