import { transition } from 'xstate';
import {
  applySagaEvent,
  createSagaMachine,
  isFinalStatus,
  orderDefinition as order,
  pendingCommands,
  replaySaga,
  sagaMachineGraph,
  sagaView,
  startSaga,
  type HistoryRecord,
  type SagaEvent,
  type SagaStepResult,
} from '@app/saga-machines';

const T0 = '2030-01-01T00:00:00.000Z';
const at = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString();
const input = { sagaId: 'saga-1', input: { customerId: 'c-42' }, createdAt: T0 };
const fatal = { code: 'CARD_DECLINED', message: 'declined', retryable: false };
const flaky = { code: 'TIMEOUT', message: 'slow', retryable: true };

const ok = (step: string, t: number, attempt = 1): SagaEvent => ({
  type: 'STEP_SUCCEEDED',
  step,
  attempt,
  output: { step },
  at: at(t),
});
const fail = (step: string, t: number, attempt = 1): SagaEvent => ({
  type: 'STEP_FAILED',
  step,
  attempt,
  error: fatal,
  at: at(t),
});
const attemptFail = (step: string, t: number, attempt = 1): SagaEvent => ({
  type: 'STEP_ATTEMPT_FAILED',
  step,
  attempt,
  error: flaky,
  at: at(t),
});
const undo = (step: string, t: number, attempt = 1): SagaEvent => ({
  type: 'COMPENSATION_SUCCEEDED',
  step,
  attempt,
  output: { undone: step },
  at: at(t),
});
const undoFail = (step: string, t: number, attempt = 1): SagaEvent => ({
  type: 'COMPENSATION_FAILED',
  step,
  attempt,
  error: fatal,
  at: at(t),
});
const cancel = (t: number, reason: 'requested' | 'deadline' = 'requested'): SagaEvent => ({
  type: 'CANCEL',
  reason,
  at: at(t),
});

/** Runs events after START; every result kept so tests can look at any step. */
function run(...events: SagaEvent[]): {
  results: SagaStepResult[];
  last: SagaStepResult;
  history: HistoryRecord[];
} {
  const results = [startSaga(order, input)];
  for (const event of events)
    results.push(applySagaEvent(order, results[results.length - 1].snapshot, event));
  return { results, last: results[results.length - 1], history: results.flatMap((r) => r.history) };
}
const statuses = (r: SagaStepResult) => r.view.steps.map((s) => s.status);

describe('startSaga', () => {
  it('starts in EXECUTING.validate_order and asks for its execution', () => {
    const { last } = run();
    expect(last.view).toMatchObject({
      status: 'EXECUTING',
      state: 'EXECUTING.validate_order',
      deadlineAt: '2030-01-01T00:05:00.000Z',
      finishedAt: null,
    });
    expect(last.commands).toEqual([
      {
        kind: 'execute',
        sagaId: 'saga-1',
        step: 'validate_order',
        stepIndex: 0,
        participant: 'order',
        operation: 'validate',
        idempotencyKey: 'saga-1:validate_order:execute',
        dispatchId: 'saga-1.validate_order.execute.0',
        timeoutMs: 5000,
        async: false,
        retry: { maxAttempts: 3, backoffMs: 100, maxBackoffMs: 2000 },
      },
    ]);
    expect(last.history.map((h) => h.type)).toEqual(['SAGA_STARTED', 'STEP_STARTED']);
    expect(last.history[0].event).toEqual({ type: 'START', at: T0 });
    expect(last.history[1].event).toBeNull();
    expect(statuses(last)).toEqual(['running', 'pending', 'pending', 'pending', 'pending']);
  });
});

describe('applySagaEvent: forward', () => {
  it('all steps succeed: COMPLETED with every output', () => {
    const { last } = run(
      ok('validate_order', 1),
      ok('reserve_inventory', 2),
      ok('process_payment', 3),
      ok('arrange_shipping', 4),
      ok('send_notification', 5),
    );
    expect(last.view.status).toBe('COMPLETED');
    expect(last.snapshot.status).toBe('done');
    expect(last.view.output).toEqual(
      Object.fromEntries(order.steps.map((s) => [s.name, { step: s.name }])),
    );
    expect(last.view.finishedAt).toBe(at(5));
    expect(last.history.map((h) => h.type)).toEqual(['STEP_SUCCEEDED', 'SAGA_COMPLETED']);
    expect(last.commands).toEqual([]);
    expect(isFinalStatus(last.view.status)).toBe(true);
  });

  it('retryable attempt failure: counted and recorded, no state change, no command', () => {
    const { last } = run(attemptFail('validate_order', 1));
    expect(last.view.state).toBe('EXECUTING.validate_order');
    expect(last.view.steps[0]).toMatchObject({ status: 'running', attempts: 1, error: flaky });
    expect(last.commands).toEqual([]);
    expect(last.history).toEqual([
      expect.objectContaining({
        type: 'STEP_FAILED',
        step: 'validate_order',
        attempt: 1,
        data: expect.objectContaining({ retryable: true, final: false }),
      }),
    ]);
  });

  it('process_payment fails after two steps: compensates reserve_inventory then validate_order', () => {
    const { results, last } = run(
      ok('validate_order', 1),
      ok('reserve_inventory', 2),
      fail('process_payment', 3),
      undo('reserve_inventory', 4),
      undo('validate_order', 5),
    );
    const failed = results[3];
    expect(failed.view.state).toBe('COMPENSATING.reserve_inventory');
    expect(failed.view.error).toEqual({
      step: 'process_payment',
      code: 'CARD_DECLINED',
      message: 'declined',
    });
    expect(failed.commands.map((c) => [c.kind, c.step, c.operation, c.dispatchId])).toEqual([
      ['compensate', 'reserve_inventory', 'release', 'saga-1.reserve_inventory.compensate.0'],
    ]);
    expect(failed.history.map((h) => h.type)).toEqual(['STEP_FAILED', 'COMPENSATION_STARTED']);
    expect(failed.history[0].data).toMatchObject({ retryable: false, final: true });
    expect(results[4].commands.map((c) => c.step)).toEqual(['validate_order']);
    expect(last.view.status).toBe('COMPENSATED');
    expect(statuses(last)).toEqual(['compensated', 'compensated', 'failed', 'pending', 'pending']);
    expect(last.view.steps[0].compensation).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      finishedAt: at(5),
      output: { undone: 'validate_order' },
    });
    expect(last.view.steps[3]).toMatchObject({ attempts: 0, startedAt: null, compensation: null });
    expect(last.history.map((h) => h.type)).toEqual(['COMPENSATION_SUCCEEDED', 'SAGA_COMPENSATED']);
    expect(last.view.finishedAt).toBe(at(5));
  });

  it('first step fails: COMPENSATED directly, no compensation runs', () => {
    const { last } = run(fail('validate_order', 1));
    expect(last.view.state).toBe('COMPENSATED');
    expect(last.commands).toEqual([]);
    expect(last.history.map((h) => h.type)).toEqual(['STEP_FAILED', 'SAGA_COMPENSATED']);
  });
});

describe('cancel', () => {
  it('in STARTED: COMPENSATED, nothing to undo', () => {
    const machine = createSagaMachine(order);
    const initial = replaySaga(order, input, []);
    expect(initial.value).toBe('STARTED');
    const r = applySagaEvent(order, initial, cancel(1));
    expect(r.view).toMatchObject({
      status: 'COMPENSATED',
      error: { step: null, code: 'CANCELLED' },
    });
    expect(r.history.map((h) => h.type)).toEqual(['CANCEL_REQUESTED', 'SAGA_COMPENSATED']);
    expect(machine).toBe(createSagaMachine(order));
  });

  it('in flight, the step then succeeds: it is compensated first', () => {
    const { results, last } = run(
      ok('validate_order', 1),
      cancel(2, 'deadline'),
      ok('reserve_inventory', 3),
      undo('reserve_inventory', 4),
      undo('validate_order', 5),
    );
    expect(results[2].view).toMatchObject({
      state: 'COMPENSATING.awaiting_in_flight_step',
      error: { step: null, code: 'DEADLINE_EXCEEDED' },
      cancel: { reason: 'deadline', at: at(2) },
    });
    expect(results[2].commands).toEqual([]);
    expect(results[2].history.map((h) => h.type)).toEqual(['DEADLINE_EXCEEDED']);
    expect(pendingCommands(order, results[2].snapshot).map((c) => c.dispatchId)).toEqual([
      'saga-1.reserve_inventory.execute.0',
    ]);
    expect(results[3].view.state).toBe('COMPENSATING.reserve_inventory');
    expect(last.view).toMatchObject({
      status: 'COMPENSATED',
      error: { code: 'DEADLINE_EXCEEDED' },
    });
    expect(statuses(last)).toEqual(['compensated', 'compensated', 'pending', 'pending', 'pending']);
  });

  it('in flight, the step then fails (or an attempt fails): only earlier steps are compensated', () => {
    for (const outcome of [fail('reserve_inventory', 3), attemptFail('reserve_inventory', 3)]) {
      const { results, last } = run(
        ok('validate_order', 1),
        cancel(2),
        outcome,
        undo('validate_order', 4),
      );
      expect(results[3].view.state).toBe('COMPENSATING.validate_order');
      expect(results[3].view.error).toMatchObject({ code: 'CANCELLED', step: null });
      expect(statuses(last)).toEqual(['compensated', 'failed', 'pending', 'pending', 'pending']);
    }
  });

  it('in flight on the first step, which then fails: COMPENSATED', () => {
    const { last } = run(cancel(1), fail('validate_order', 2));
    expect(last.view.state).toBe('COMPENSATED');
  });
});

describe('STEP_STARTED and COMPENSATION_STARTED say which attempt starts', () => {
  it('every dispatch starts attempt 1, also after retried attempts of the step before it', () => {
    const { history } = run(
      ok('validate_order', 1),
      attemptFail('reserve_inventory', 2, 1),
      attemptFail('reserve_inventory', 3, 2),
      ok('reserve_inventory', 4, 3),
      fail('process_payment', 5),
      {
        type: 'COMPENSATION_ATTEMPT_FAILED',
        step: 'reserve_inventory',
        attempt: 1,
        error: flaky,
        at: at(6),
      },
      undo('reserve_inventory', 7, 2),
      undo('validate_order', 8),
    );
    const started = history
      .filter((h) => h.type === 'STEP_STARTED' || h.type === 'COMPENSATION_STARTED')
      .map((h) => [h.type, h.step, h.attempt]);
    expect(started).toEqual([
      ['STEP_STARTED', 'validate_order', 1],
      ['STEP_STARTED', 'reserve_inventory', 1],
      ['STEP_STARTED', 'process_payment', 1],
      ['COMPENSATION_STARTED', 'reserve_inventory', 1],
      ['COMPENSATION_STARTED', 'validate_order', 1],
    ]);
  });
});

describe('compensation failure and RETRY', () => {
  const failedSaga = () =>
    run(
      ok('validate_order', 1),
      ok('reserve_inventory', 2),
      ok('process_payment', 3),
      fail('arrange_shipping', 4),
      {
        type: 'COMPENSATION_ATTEMPT_FAILED',
        step: 'process_payment',
        attempt: 1,
        error: flaky,
        at: at(5),
      },
      undoFail('process_payment', 6, 2),
    );

  it('a failed compensation stops the saga in FAILED, naming it, and runs no further compensation', () => {
    const { results, last } = failedSaga();
    expect(results[5].view.steps[2].compensation).toMatchObject({
      status: 'running',
      attempts: 1,
      error: flaky,
    });
    expect(results[5].history[0]).toMatchObject({
      type: 'COMPENSATION_FAILED',
      data: { final: false, retryable: true },
    });
    expect(last.view).toMatchObject({
      status: 'FAILED',
      state: 'FAILED',
      requiresManualIntervention: true,
      error: { step: 'process_payment', code: 'CARD_DECLINED' },
      finishedAt: at(6),
    });
    expect(last.snapshot.context.error).toMatchObject({ step: 'arrange_shipping' });
    expect(last.snapshot.status).toBe('active');
    expect(isFinalStatus('FAILED')).toBe(true);
    expect(statuses(last)).toEqual([
      'succeeded',
      'succeeded',
      'compensation_failed',
      'failed',
      'pending',
    ]);
    expect(last.commands).toEqual([]);
    expect(last.history.map((h) => h.type)).toEqual(['COMPENSATION_FAILED', 'SAGA_FAILED']);
    expect(pendingCommands(order, last.snapshot)).toEqual([]);
  });

  it('RETRY runs the failed compensation again with fresh attempts and a new dispatch id, then goes on in reverse', () => {
    const { last: failed } = failedSaga();
    const retried = applySagaEvent(order, failed.snapshot, { type: 'RETRY', at: at(7) });
    expect(retried.view).toMatchObject({
      state: 'COMPENSATING.process_payment',
      requiresManualIntervention: false,
      finishedAt: null,
    });
    expect(retried.view.steps[2]).toMatchObject({
      status: 'compensating',
      compensation: { status: 'running', attempts: 0, error: null },
    });
    expect(retried.snapshot.context.retryRound).toBe(1);
    expect(retried.commands.map((c) => [c.idempotencyKey, c.dispatchId])).toEqual([
      ['saga-1:process_payment:compensate', 'saga-1.process_payment.compensate.1'],
    ]);
    expect(retried.history.map((h) => h.type)).toEqual(['RETRY_REQUESTED', 'COMPENSATION_STARTED']);
    // The fresh round starts at attempt 1, although the failed round had reached attempt 2.
    expect(retried.history[1]).toMatchObject({ step: 'process_payment', attempt: 1 });
    let r = applySagaEvent(order, retried.snapshot, undo('process_payment', 8));
    expect(r.commands.map((c) => c.dispatchId)).toEqual(['saga-1.reserve_inventory.compensate.1']);
    r = applySagaEvent(order, r.snapshot, undo('reserve_inventory', 9));
    r = applySagaEvent(order, r.snapshot, undo('validate_order', 10));
    expect(r.view).toMatchObject({
      status: 'COMPENSATED',
      error: { step: 'arrange_shipping' },
      requiresManualIntervention: false,
    });
  });
});

describe('ignored events', () => {
  const cases: [string, SagaEvent[], SagaEvent, RegExp][] = [
    [
      'a success for another step',
      [],
      ok('process_payment', 1),
      /process_payment.*EXECUTING\.validate_order/,
    ],
    [
      'a duplicate success',
      [ok('validate_order', 1)],
      ok('validate_order', 2),
      /validate_order.*EXECUTING\.reserve_inventory/,
    ],
    ['a step the definition does not have', [], ok('nope', 1), /does not have/],
    [
      'a compensation result while executing',
      [],
      undo('validate_order', 1),
      /not accepted|does not fit/,
    ],
    [
      'CANCEL while compensating',
      [ok('validate_order', 1), fail('reserve_inventory', 2)],
      cancel(3),
      /only accepted in STARTED or EXECUTING/,
    ],
    ['RETRY while executing', [], { type: 'RETRY', at: at(1) }, /only accepted in FAILED/],
    [
      'a late event after COMPENSATED',
      [fail('validate_order', 1)],
      ok('validate_order', 2),
      /final state/,
    ],
    ['START twice', [], { type: 'START', at: at(1) }, /not accepted/],
    [
      'a malformed event',
      [],
      { type: 'STEP_SUCCEEDED', step: 'validate_order' } as unknown as SagaEvent,
      /Malformed/,
    ],
    [
      'an unknown event type',
      [],
      { type: 'EXPLODE', at: at(1) } as unknown as SagaEvent,
      /Malformed/,
    ],
  ];
  it.each(cases)(
    '%s: same snapshot, a reason, one EVENT_IGNORED entry, no command',
    (_name, before, event, reason) => {
      const { last } = run(...before);
      const frozen = JSON.stringify(last.snapshot);
      const r = applySagaEvent(order, last.snapshot, event);
      expect(r.snapshot).toBe(last.snapshot);
      expect(JSON.stringify(r.snapshot)).toBe(frozen);
      expect(r.ignored?.reason).toMatch(reason);
      expect(r.commands).toEqual([]);
      expect(r.history).toEqual([
        expect.objectContaining({
          type: 'EVENT_IGNORED',
          event,
          data: { reason: r.ignored?.reason, eventType: (event as { type: string }).type },
        }),
      ]);
    },
  );

  it('xstate itself returns the same snapshot object for a mismatched step', () => {
    const machine = createSagaMachine(order);
    const snap = machine.resolveState(run().last.snapshot as never);
    expect(transition(machine, snap, ok('process_payment', 1))[0]).toBe(snap);
  });
});

describe('persistence and replay', () => {
  const events = [
    ok('validate_order', 1),
    attemptFail('reserve_inventory', 2),
    ok('reserve_inventory', 3, 2),
    fail('process_payment', 4),
    ok('nope', 5),
    undoFail('reserve_inventory', 6),
  ];

  it('continuing from JSON round-tripped snapshots gives identical results', () => {
    const direct = run(...events);
    let r = startSaga(order, input);
    for (const event of events)
      r = applySagaEvent(order, JSON.parse(JSON.stringify(r.snapshot)), event);
    expect(r.snapshot).toEqual(direct.last.snapshot);
    expect(sagaView(order, r.snapshot)).toEqual(direct.last.view);
  });

  it('replaying the history events gives the stored snapshot', () => {
    const { last, history } = run(...events);
    const replayed = replaySaga(
      order,
      input,
      history.flatMap((h) => (h.event ? [h.event] : [])),
    );
    expect(replayed).toEqual(last.snapshot);
    expect(history.filter((h) => h.type === 'EVENT_IGNORED')).toHaveLength(1);
  });

  it('pendingCommands repeats the dispatch id first issued for the current state', () => {
    const { results } = run(ok('validate_order', 1), fail('reserve_inventory', 2));
    for (const r of results) {
      const pending = pendingCommands(order, r.snapshot);
      if (r.commands.length > 0) expect(pending).toEqual(r.commands);
    }
  });
});

describe('sagaMachineGraph', () => {
  it('lists every state (dotted ids) and every transition, guarded targets each as an edge', () => {
    const graph = sagaMachineGraph(order);
    const ids = graph.nodes.map((n) => n.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'STARTED',
        'EXECUTING',
        'EXECUTING.process_payment',
        'COMPENSATING.awaiting_in_flight_step',
        'COMPENSATING.validate_order',
        'COMPLETED',
        'FAILED',
        'COMPENSATED',
      ]),
    );
    expect(graph.nodes).toHaveLength(6 + 5 + 6);
    expect(graph.nodes.find((n) => n.id === 'COMPENSATED')).toMatchObject({
      type: 'final',
      kind: 'top',
      parent: null,
    });
    expect(graph.nodes.find((n) => n.id === 'FAILED')?.type).toBe('atomic');
    expect(graph.nodes.find((n) => n.id === 'COMPENSATING.awaiting_in_flight_step')).toMatchObject({
      kind: 'awaiting',
      parent: 'COMPENSATING',
    });
    expect(graph.edges.filter((e) => e.source === 'FAILED' && e.event === 'RETRY')).toHaveLength(5);
    expect(
      graph.edges.filter((e) => e.source === 'COMPENSATING.awaiting_in_flight_step'),
    ).toHaveLength(15);
    expect(new Set(graph.edges.map((e) => e.id)).size).toBe(graph.edges.length);
    for (const edge of graph.edges) {
      expect(ids).toContain(edge.source);
      expect(ids).toContain(edge.target);
    }
    expect(JSON.parse(JSON.stringify(graph))).toEqual(graph);
  });
});
