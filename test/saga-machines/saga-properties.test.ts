import fc from 'fast-check';
import {
  SagaDefinitionError,
  applySagaEvent,
  replaySaga,
  startSaga,
  validateSagaDefinition,
  type SagaDefinition,
  type SagaEvent,
  type SagaStepResult,
} from '@app/saga-machines';

const T0 = '2030-01-01T00:00:00.000Z';
const retry = fc.record({
  maxAttempts: fc.integer({ min: 1, max: 20 }),
  backoffMs: fc.integer({ min: 0, max: 1000 }),
  maxBackoffMs: fc.integer({ min: 1000, max: 3_600_000 }),
});

const definitionArb: fc.Arbitrary<SagaDefinition> = fc
  .uniqueArray(
    fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/).filter((n) => n !== 'awaiting_in_flight_step'),
    { minLength: 1, maxLength: 12 },
  )
  .chain((names) =>
    fc.record({
      name: fc.constant('prop'),
      version: fc.integer({ min: 1, max: 99 }),
      description: fc.string(),
      deadlineMs: fc.integer({ min: 1, max: 10_000_000 }),
      steps: fc.tuple(
        ...names.map((name) =>
          fc.record({
            name: fc.constant(name),
            participant: fc.constant('p'),
            action: fc.constant(`do_${name}`),
            compensation: fc.constant(`undo_${name}`),
            timeoutMs: fc.integer({ min: 1, max: 3_600_000 }),
            retry,
          }),
        ),
      ),
    }),
  );

/** Events aimed at the definition's steps (so many fit), plus junk that must be ignored. */
function eventsArb(definition: SagaDefinition): fc.Arbitrary<SagaEvent[]> {
  const step = fc.oneof(
    fc.constantFrom(...definition.steps.map((s) => s.name)),
    fc.constant('not_a_step'),
  );
  const attempt = fc.integer({ min: 1, max: 3 });
  const error = fc.record({
    code: fc.constantFrom('E1', 'E2'),
    message: fc.constant('m'),
    retryable: fc.boolean(),
  });
  const event = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        type: fc.constant('STEP_SUCCEEDED' as const),
        step,
        attempt,
        output: fc.jsonValue(),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        type: fc.constantFrom('STEP_FAILED' as const, 'STEP_ATTEMPT_FAILED' as const),
        step,
        attempt,
        error,
      }),
    },
    {
      weight: 5,
      arbitrary: fc.record({
        type: fc.constant('COMPENSATION_SUCCEEDED' as const),
        step,
        attempt,
        output: fc.jsonValue(),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        type: fc.constantFrom(
          'COMPENSATION_FAILED' as const,
          'COMPENSATION_ATTEMPT_FAILED' as const,
        ),
        step,
        attempt,
        error,
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        type: fc.constant('CANCEL' as const),
        reason: fc.constantFrom('requested' as const, 'deadline' as const),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ type: 'RETRY' as const }) },
    { weight: 1, arbitrary: fc.constant({ type: 'START' as const }) },
    { weight: 1, arbitrary: fc.constant({ type: 'JUNK' } as unknown as Omit<SagaEvent, 'at'>) },
  );
  return fc
    .array(event, { maxLength: 60 })
    .map((list) =>
      list.map(
        (e, i) =>
          ({ ...e, at: new Date(Date.parse(T0) + (i + 1) * 1000).toISOString() }) as SagaEvent,
      ),
    );
}

describe('properties over random definitions and event sequences', () => {
  it('keep every invariant (order, nothing undone that did not succeed, ignored = untouched, replay, JSON)', () => {
    fc.assert(
      fc.property(
        definitionArb.chain((d) => fc.tuple(fc.constant(d), eventsArb(d))),
        ([definition, events]) => {
          const input = { sagaId: 'p', input: null, createdAt: T0 };
          let r: SagaStepResult = startSaga(definition, input);
          const history = [...r.history];
          const succeeded: string[] = [];
          const compensations: string[] = [];
          for (const event of events) {
            const before = JSON.stringify(r.snapshot);
            const next = applySagaEvent(definition, JSON.parse(before), event);
            history.push(...next.history);
            if (next.ignored) {
              expect(JSON.stringify(next.snapshot)).toBe(before);
              expect(next.commands).toEqual([]);
              expect(next.history.map((h) => h.type)).toEqual(['EVENT_IGNORED']);
            } else if (event.type === 'STEP_SUCCEEDED') {
              succeeded.push(event.step);
            }
            for (const c of next.commands) if (c.kind === 'compensate') compensations.push(c.step);
            r = next;
          }
          const distinct = compensations.filter((s, i) => s !== compensations[i - 1]);
          const reverse = [...succeeded].reverse();
          expect(distinct).toEqual(reverse.slice(0, distinct.length));
          for (const step of r.view.steps) {
            if (!succeeded.includes(step.name))
              expect(['pending', 'running', 'failed']).toContain(step.status);
            if (step.compensation) expect(succeeded).toContain(step.name);
          }
          if (r.view.status === 'COMPENSATED') expect(distinct).toEqual(reverse);
          if (r.view.status === 'FAILED') expect(r.view.requiresManualIntervention).toBe(true);
          expect(
            replaySaga(
              definition,
              input,
              history.flatMap((h) => (h.event ? [h.event] : [])),
            ),
          ).toEqual(r.snapshot);
          expect(JSON.parse(JSON.stringify(r.snapshot))).toEqual(r.snapshot);
        },
      ),
      { numRuns: 200 },
    );
  });

  const breakers: [string, (d: Record<string, any>) => void][] = [
    ['no steps', (d) => (d.steps = [])],
    ['duplicate name', (d) => d.steps.push({ ...d.steps[0] })],
    ['bad name', (d) => (d.steps[0].name = 'Bad Name')],
    ['reserved name', (d) => (d.steps[0].name = 'awaiting_in_flight_step')],
    ['no compensation', (d) => delete d.steps[0].compensation],
    ['empty compensation', (d) => (d.steps[0].compensation = '')],
    ['timeout 0', (d) => (d.steps[0].timeoutMs = 0)],
    ['timeout fractional', (d) => (d.steps[0].timeoutMs = 0.5)],
    ['timeout over an hour', (d) => (d.steps[0].timeoutMs = 3_600_001)],
    ['attempts 0', (d) => (d.steps[0].retry.maxAttempts = 0)],
    ['attempts 21', (d) => (d.steps[0].retry.maxAttempts = 21)],
    ['negative backoff', (d) => (d.steps[0].retry.backoffMs = -1)],
    ['backoff over max', (d) => (d.steps[0].retry.backoffMs = d.steps[0].retry.maxBackoffMs + 1)],
    ['unknown field', (d) => (d.steps[0].extra = true)],
    ['version 0', (d) => (d.version = 0)],
    ['deadline negative', (d) => (d.deadlineMs = -5)],
    [
      '51 steps',
      (d) => (d.steps = Array.from({ length: 51 }, (_, i) => ({ ...d.steps[0], name: `s${i}` }))),
    ],
  ];

  it('random valid definitions are accepted; each broken in one known way is rejected', () => {
    fc.assert(
      fc.property(definitionArb, fc.constantFrom(...breakers), (definition, [, breakIt]) => {
        expect(validateSagaDefinition(definition)).toEqual(definition);
        const broken = JSON.parse(JSON.stringify(definition));
        breakIt(broken);
        expect(() => validateSagaDefinition(broken)).toThrow(SagaDefinitionError);
      }),
      { numRuns: 300 },
    );
  });
});
