// Regression (found by the chaos soak, scripts/soak): every worker printed
// "MaxListenersExceededWarning: Possible EventTarget memory leak detected. 11 abort listeners
// added to [AbortSignal]" once more than 10 attempts ran at once. Each in-flight attempt listens
// on the processor's one shutdown signal (and stops listening when it ends), so up to
// SAGA_WORKER_CONCURRENCY listeners is normal, not a leak. Node prints the warning from the
// real process object, which jest's sandbox does not see: the check runs the BUILT processor
// (jest's global setup builds dist/) in a child process and reads its stderr.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const DIST = path.resolve(__dirname, '../../dist/apps/api');
const CONCURRENCY = 16;

const script = `
require('reflect-metadata');
const { randomUUID } = require('node:crypto');
const { orderDefinition, startSaga } = require(${JSON.stringify(`${DIST}/libs/saga-machines/src/index.js`)});
const { ParticipantInvoker } = require(${JSON.stringify(`${DIST}/apps/api/src/runtime/participant-invoker.js`)});
const { SagaObserver } = require(${JSON.stringify(`${DIST}/apps/api/src/runtime/saga-observer.js`)});
const { StepProcessor } = require(${JSON.stringify(`${DIST}/apps/api/src/runtime/step.processor.js`)});
const input = { customerId: 'c-1', items: [{ sku: 'IPHONE-15', quantity: 1 }], payment: { token: 'tok_ok' },
  shippingAddress: { line1: '1 Marine Drive', city: 'Mumbai', postalCode: '400001' } };
const config = { role: 'worker', workerConcurrency: ${CONCURRENCY}, faultsEnabled: false };
const sagas = new Map();
const runtime = { load: async (id) => sagas.get(id), definitionOf: () => orderDefinition, apply: async () => ({ applied: true }) };
// A participant that takes a while: all attempts overlap.
const registry = { operation: () => () => new Promise((r) => setTimeout(() => r({ ok: true }), 200)) };
const processor = new StepProcessor(runtime, new ParticipantInvoker(registry, {}, config), {}, config, new SagaObserver());
const jobs = Array.from({ length: ${CONCURRENCY} }, () => {
  const sagaId = randomUUID();
  const result = startSaga(orderDefinition, { sagaId, input, createdAt: new Date().toISOString() });
  sagas.set(sagaId, { id: sagaId, definition: 'order', definitionVersion: 1, snapshot: result.snapshot });
  const c = result.commands[0];
  return { name: 'step', attemptsMade: 0, data: { sagaId, dispatchId: c.dispatchId, step: c.step, kind: c.kind, maxBackoffMs: 2000 } };
});
Promise.all(jobs.map((j) => processor.process(j))).then((outcomes) => {
  console.log(JSON.stringify(outcomes.map((o) => o.outcome)));
  setImmediate(() => process.exit(0));
});
`;

describe('StepProcessor with SAGA_WORKER_CONCURRENCY attempts in flight', () => {
  it(`${CONCURRENCY} concurrent attempts: all succeed, and no MaxListenersExceededWarning`, () => {
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect({ status: run.status, stderr: run.stderr }).toMatchObject({ status: 0 });
    expect(JSON.parse(run.stdout)).toEqual(Array(CONCURRENCY).fill('succeeded'));
    expect(run.stderr).not.toMatch(/MaxListenersExceededWarning/);
  });
});
