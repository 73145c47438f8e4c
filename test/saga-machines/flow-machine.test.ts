// The flow machine (dependsOn, forEach, pivot), driven event by event through the pure engine.
import {
  applySagaEvent,
  pendingCommands,
  replaySaga,
  startSaga,
  validateSagaDefinition,
  withDefinitionDefaults,
  type SagaDefinition,
  type SagaEvent,
  type SagaStepResult,
} from '@app/saga-machines';

const T0 = '2030-01-01T00:00:00.000Z';
let clock = 0;
const at = () => new Date(Date.parse(T0) + ++clock * 1000).toISOString();
const fatal = { code: 'NOPE', message: 'no', retryable: false };
const flaky = { code: 'SLOW', message: 'slow', retryable: true };

function definition(steps: Record<string, unknown>[]): SagaDefinition {
  return validateSagaDefinition(
    withDefinitionDefaults({ name: 'flow', version: 1, description: 'test', steps } as never),
  );
}
const step = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  participant: 'p',
  action: `do_${name}`,
  compensation: `undo_${name}`,
  ...extra,
});

const travel = definition([
  step('flight'),
  step('hotel'),
  step('seats', { dependsOn: ['flight'], forEach: '/passengers', concurrency: 2 }),
  step('charge', { dependsOn: ['hotel', 'seats'] }),
  step('ticket', { dependsOn: ['charge'], pivot: true, compensation: undefined }),
  step('insure', { dependsOn: ['ticket'], compensation: undefined }),
]);
const input = { passengers: ['ann', 'bob', 'cid'] };

class Saga {
  result: SagaStepResult;
  constructor(readonly def: SagaDefinition) {
    this.result = startSaga(def, { sagaId: 's1', input, createdAt: T0 });
  }
  send(event: SagaEvent): SagaStepResult {
    this.result = applySagaEvent(this.def, this.result.snapshot, event);
    return this.result;
  }
  ok(name: string, item?: number) {
    return this.send({
      type: 'STEP_SUCCEEDED',
      step: name,
      item,
      attempt: 1,
      output: name,
      at: at(),
    });
  }
  fail(name: string, item?: number) {
    return this.send({ type: 'STEP_FAILED', step: name, item, attempt: 1, error: fatal, at: at() });
  }
  undone(name: string, item?: number) {
    return this.send({
      type: 'COMPENSATION_SUCCEEDED',
      step: name,
      item,
      attempt: 1,
      output: null,
      at: at(),
    });
  }
  get commands() {
    return this.result.commands.map(
      (c) => `${c.kind}:${c.step}${c.item ? `#${c.item.index}` : ''}`,
    );
  }
  status(name: string) {
    return this.result.view.steps.find((s) => s.name === name)?.status;
  }
}

describe('flow machine', () => {
  it('starts independent steps at once and lists every active state', () => {
    const saga = new Saga(travel);
    expect(saga.commands).toEqual(['execute:flight', 'execute:hotel']);
    expect(saga.result.view.state).toBe('EXECUTING.flight,EXECUTING.hotel');
    saga.ok('flight');
    // concurrency 2: items 0 and 1 start, item 2 waits
    expect(saga.commands).toEqual(['execute:seats#0', 'execute:seats#1']);
    expect(saga.result.commands[0]).toMatchObject({
      idempotencyKey: 's1:seats:execute:0',
      item: { index: 0, value: 'ann' },
    });
    saga.ok('seats', 1);
    expect(saga.commands).toEqual(['execute:seats#2']);
    saga.ok('seats', 1); // duplicate: ignored
    expect(saga.result.ignored).not.toBeNull();
    saga.ok('seats', 0);
    saga.ok('seats', 2);
    expect(saga.status('seats')).toBe('succeeded');
    expect(saga.result.view.steps.find((s) => s.name === 'seats')?.output).toEqual([
      'seats',
      'seats',
      'seats',
    ]);
    expect(saga.commands).toEqual([]); // charge waits for hotel
    saga.ok('hotel');
    expect(saga.commands).toEqual(['execute:charge']);
    saga.ok('charge');
    expect(saga.commands).toEqual(['execute:ticket']);
    saga.ok('ticket');
    saga.ok('insure');
    expect(saga.result.view.status).toBe('COMPLETED');
  });

  it('on a failure lets in-flight steps finish, then undoes in reverse dependency order', () => {
    const saga = new Saga(travel);
    saga.ok('flight');
    saga.ok('seats', 0); // item 2 starts in its place
    expect(saga.commands).toEqual(['execute:seats#2']);
    saga.fail('seats', 1);
    expect(saga.commands).toEqual([]);
    saga.ok('hotel');
    expect(saga.result.view.status).toBe('EXECUTING'); // item 2 still in flight
    saga.ok('seats', 2);
    expect(saga.result.view.status).toBe('COMPENSATING');
    // hotel and seats are independent; flight waits for seats; items in reverse index order
    expect(saga.commands.sort()).toEqual(['compensate:hotel', 'compensate:seats#2']);
    expect(saga.result.view.state).toBe('COMPENSATING.hotel,COMPENSATING.seats');
    saga.undone('seats', 2);
    expect(saga.commands).toEqual(['compensate:seats#0']);
    saga.undone('seats', 0);
    expect(saga.commands).toEqual(['compensate:flight']);
    saga.undone('flight');
    saga.undone('hotel');
    expect(saga.result.view.status).toBe('COMPENSATED');
    expect(saga.result.view.error).toMatchObject({ step: 'seats', code: 'NOPE' });
    const items = saga.result.view.steps.find((s) => s.name === 'seats')?.items;
    expect(items?.map((i) => i.status)).toEqual(['compensated', 'failed', 'compensated']);
  });

  it('a step that fails while no item ran stops the forEach before it starts more', () => {
    const saga = new Saga(travel);
    saga.ok('flight'); // seats 0 and 1 start
    saga.fail('hotel');
    saga.ok('seats', 0); // item 2 does not start: the saga is halting
    expect(saga.commands).toEqual([]);
    saga.ok('seats', 1);
    expect(saga.status('seats')).toBe('compensating');
    expect(saga.result.view.steps.find((s) => s.name === 'seats')?.items?.[2].status).toBe(
      'pending',
    );
    expect(saga.commands).toEqual(['compensate:seats#1']);
  });

  it('refuses a cancel once the pivot started, and past it retries forward from FAILED', () => {
    const saga = new Saga(travel);
    for (const n of ['flight', 'hotel']) saga.ok(n);
    for (const i of [0, 1, 2]) saga.ok('seats', i);
    saga.ok('charge');
    saga.send({ type: 'CANCEL', reason: 'requested', at: at() });
    expect(saga.result.ignored).not.toBeNull();
    saga.ok('ticket');
    saga.fail('insure');
    expect(saga.result.view.status).toBe('FAILED');
    expect(saga.result.view.requiresManualIntervention).toBe(true);
    expect(saga.result.view.error).toMatchObject({ step: 'insure' });
    saga.send({ type: 'RETRY', at: at() });
    expect(saga.commands).toEqual(['execute:insure']);
    expect(saga.result.commands[0].dispatchId).toBe('s1.insure.execute.1');
    saga.ok('insure');
    expect(saga.result.view.status).toBe('COMPLETED');
  });

  it('cancel: no new step, the one in flight finishes and is undone; recovery re-sends what runs', () => {
    const saga = new Saga(travel);
    saga.ok('flight');
    saga.send({ type: 'CANCEL', reason: 'requested', at: at() });
    expect(pendingCommands(travel, saga.result.snapshot).map((c) => c.dispatchId)).toEqual([
      's1.hotel.execute.0',
      's1.seats.execute.0.0',
      's1.seats.execute.0.1',
    ]);
    // A failed attempt (a timeout, say) may have been applied: the step is retried, not cut
    // short, so that its outcome decides whether it is undone.
    saga.send({ type: 'STEP_ATTEMPT_FAILED', step: 'hotel', attempt: 1, error: flaky, at: at() });
    expect(saga.status('hotel')).toBe('running');
    saga.ok('seats', 0);
    saga.ok('seats', 1);
    expect(saga.commands).toEqual([]); // the hotel is still in flight: nothing is undone yet
    saga.send({ type: 'STEP_SUCCEEDED', step: 'hotel', attempt: 2, output: 'hotel', at: at() });
    expect([...saga.commands].sort()).toEqual(['compensate:hotel', 'compensate:seats#1']);
    saga.undone('hotel');
    saga.undone('seats', 1);
    expect(saga.commands).toEqual(['compensate:seats#0']);
    saga.undone('seats', 0);
    saga.undone('flight');
    expect(saga.result.view.status).toBe('COMPENSATED');
    expect(saga.result.view.error?.code).toBe('CANCELLED');
  });

  it('a failed compensation stops the undoing; RETRY resumes it', () => {
    const saga = new Saga(travel);
    saga.ok('flight');
    saga.ok('hotel');
    saga.fail('seats', 0);
    saga.fail('seats', 1);
    expect(saga.commands.sort()).toEqual(['compensate:flight', 'compensate:hotel']);
    saga.send({ type: 'COMPENSATION_FAILED', step: 'hotel', attempt: 3, error: fatal, at: at() });
    expect(saga.result.view.status).toBe('COMPENSATING'); // flight is still being undone
    saga.undone('flight');
    expect(saga.result.view.status).toBe('FAILED');
    saga.send({ type: 'RETRY', at: at() });
    expect(saga.commands).toEqual(['compensate:hotel']);
    saga.undone('hotel');
    expect(saga.result.view.status).toBe('COMPENSATED');
    const events = saga.result.history.map((h) => h.event).filter(Boolean);
    expect(events.length).toBeGreaterThan(0);
  });

  it('replays its history to the stored snapshot', () => {
    const saga = new Saga(travel);
    const events: SagaEvent[] = [{ type: 'START', at: T0 }];
    const record = (r: SagaStepResult) => r.history.forEach((h) => h.event && events.push(h.event));
    record(saga.ok('flight'));
    record(saga.ok('seats', 0));
    record(saga.fail('hotel'));
    record(saga.ok('seats', 1));
    record(saga.undone('seats', 1));
    const replayed = replaySaga(travel, { sagaId: 's1', input, createdAt: T0 }, events);
    expect(replayed).toEqual(saga.result.snapshot);
  });
});
