// fast-check over random step graphs (dependsOn, some forEach steps) and random outcome orders:
// every step or item that succeeded is compensated exactly once, and never before a succeeded
// step that depends on it; nothing that did not succeed is compensated; replay is exact.
import fc from 'fast-check';
import {
  applySagaEvent,
  replaySaga,
  startSaga,
  stepGraph,
  validateSagaDefinition,
  withDefinitionDefaults,
  type SagaDefinition,
  type SagaEvent,
  type SagaStepResult,
} from '@app/saga-machines';

const T0 = '2030-01-01T00:00:00.000Z';
const fatal = { code: 'F', message: 'fails', retryable: false };
const flaky = { code: 'T', message: 'flaky', retryable: true };

/** A random DAG: step i may depend on any earlier steps; some steps run per item. */
const graphArb = fc
  .integer({ min: 2, max: 6 })
  .chain((n) =>
    fc.tuple(
      fc.tuple(
        ...Array.from({ length: n }, (_, i) => fc.subarray(Array.from({ length: i }, (_, j) => j))),
      ),
      fc.array(fc.boolean(), { minLength: n, maxLength: n }),
      fc.integer({ min: 1, max: 3 }),
    ),
  );

function definitionOf([deps, forEach, concurrency]: [
  number[][],
  boolean[],
  number,
]): SagaDefinition {
  return validateSagaDefinition(
    withDefinitionDefaults({
      name: 'prop',
      version: 1,
      description: 'random graph',
      steps: deps.map((d, i) => ({
        name: `s${i}`,
        participant: 'p',
        action: 'do',
        compensation: 'undo',
        dependsOn: d.map((j) => `s${j}`),
        ...(forEach[i] ? { forEach: '/items', concurrency } : {}),
      })),
    } as never),
  );
}

/** The events that could arrive now: an outcome of each invocation in flight, or a cancel. */
function candidates(r: SagaStepResult): SagaEvent[] {
  const at = T0;
  const { context } = r.snapshot;
  const events: SagaEvent[] = [];
  for (const s of context.steps) {
    for (const inv of s.items ?? [s]) {
      const item = 'index' in inv ? { item: inv.index } : {};
      if (inv.status === 'running') {
        const attempt = inv.attempts + 1;
        events.push(
          { type: 'STEP_SUCCEEDED', step: s.name, ...item, attempt, output: 1, at },
          { type: 'STEP_FAILED', step: s.name, ...item, attempt, error: fatal, at },
          { type: 'STEP_ATTEMPT_FAILED', step: s.name, ...item, attempt, error: flaky, at },
        );
      }
      if (inv.status === 'compensating' && inv.compensation?.status === 'running') {
        const attempt = inv.compensation.attempts + 1;
        events.push(
          { type: 'COMPENSATION_SUCCEEDED', step: s.name, ...item, attempt, output: null, at },
          { type: 'COMPENSATION_ATTEMPT_FAILED', step: s.name, ...item, attempt, error: flaky, at },
        );
      }
    }
  }
  const halting = context.steps.some(
    (s) => s.status === 'failed' || (s.items ?? []).some((i) => i.status === 'failed'),
  );
  if (r.view.status === 'EXECUTING' && context.cancel === null && !halting) {
    events.push({ type: 'CANCEL', reason: 'requested', at });
  }
  return events;
}

describe('flow machine properties', () => {
  it('random graphs, random outcome orders: each success undone once, never before its dependents', () => {
    fc.assert(
      fc.property(
        graphArb,
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.nat(), { minLength: 200, maxLength: 200 }),
        (graph, itemCount, choices) => {
          const definition = definitionOf(graph);
          const { dependents } = stepGraph(definition);
          const input = {
            sagaId: 'p',
            input: { items: Array.from({ length: itemCount }, (_, i) => i) },
            createdAt: T0,
          };
          let r = startSaga(definition, input);
          const events: SagaEvent[] = [{ type: 'START', at: T0 }];
          const undone: string[] = []; // `${step}` or `${step}#${item}`, in order of success
          const succeeded = new Set<string>();
          for (const choice of choices) {
            const options = candidates(r);
            if (options.length === 0) break;
            const event = options[choice % options.length];
            r = applySagaEvent(definition, r.snapshot, event);
            expect(r.ignored).toBeNull();
            events.push(event);
            const key =
              'item' in event && event.item !== undefined
                ? `${event.step}#${event.item}`
                : (event as { step?: string }).step;
            if (event.type === 'STEP_SUCCEEDED') succeeded.add(key as string);
            if (event.type === 'COMPENSATION_SUCCEEDED') undone.push(key as string);
            for (const c of r.commands.filter((c) => c.kind === 'compensate')) {
              const what = c.item ? `${c.step}#${c.item.index}` : c.step;
              expect(succeeded.has(what)).toBe(true);
              // Never before a succeeded dependent: each one is fully undone when it starts.
              for (const d of dependents.get(c.step) ?? []) {
                const rec = r.snapshot.context.steps.find((s) => s.name === d);
                const tookEffect = [...succeeded].some((x) => x === d || x.startsWith(`${d}#`));
                if (tookEffect) expect(rec?.status).toBe('compensated');
              }
            }
          }
          if (r.view.status === 'COMPENSATED') {
            expect([...undone].sort()).toEqual([...succeeded].sort());
            expect(new Set(undone).size).toBe(undone.length);
          }
          if (r.view.status === 'COMPLETED') expect(undone).toEqual([]);
          expect(replaySaga(definition, input, events)).toEqual(r.snapshot);
        },
      ),
      { numRuns: 300 },
    );
  });
});
