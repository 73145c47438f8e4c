// Drives one planned saga through the API to a final status: create (with an Idempotency-Key,
// so a create repeated across a database restart makes one saga), an optional cancel, and
// POST /retry of a FAILED saga after its remaining faults are deleted (or, for a flow saga,
// after its participant was told to heal it).
import type { FlowPlan } from './flow-plan';
import type { SagaPlan } from './saga-plan';
import type { ServiceClient } from './service-client';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FINAL = new Set(['COMPLETED', 'COMPENSATED', 'FAILED']);

export interface SagaRun {
  plan: SagaPlan | FlowPlan;
  sagaId: string | null;
  status: string;
  errorStep: string | null;
  errorCode: string | null;
  /** POST /retry calls that were accepted (202). */
  retries: number;
  cancelAnswer: number | null;
  durationMs: number;
  problem: string | null;
  /** The last GET /api/v1/sagas/:id of a flow saga (its steps and items, as the API shows them). */
  view: Record<string, unknown> | null;
}

export interface DriveOptions {
  runId: string;
  pollMs: number;
  /** Give up on a saga not final after this long. */
  sagaTimeoutMs: number;
  maxRetries: number;
  /** Makes a FAILED flow saga's participant stop failing it (before POST /retry). */
  heal?: (sagaId: string) => Promise<void>;
}

export async function driveSaga(
  client: ServiceClient,
  plan: SagaPlan | FlowPlan,
  opts: DriveOptions,
): Promise<SagaRun> {
  const began = Date.now();
  const run: SagaRun = {
    plan,
    sagaId: null,
    status: 'NOT_CREATED',
    errorStep: null,
    errorCode: null,
    retries: 0,
    cancelAnswer: null,
    durationMs: 0,
    problem: null,
    view: null,
  };
  try {
    const created = await client.call(
      'POST',
      '/api/v1/sagas',
      {
        definition: plan.definition,
        input: plan.input,
        ...(plan.faults.length ? { faults: plan.faults } : {}),
      },
      { 'idempotency-key': `soak-${opts.runId}-${plan.index}` },
    );
    if (created.status !== 201 && created.status !== 200) {
      throw new Error(`create answered ${created.status}: ${JSON.stringify(created.body)}`);
    }
    const id = created.body.id as string;
    run.sagaId = id;
    let cancelAt = plan.cancelAfterMs === null ? null : Date.now() + plan.cancelAfterMs;
    const giveUpAt = began + opts.sagaTimeoutMs;
    for (;;) {
      if (cancelAt !== null && Date.now() >= cancelAt) {
        cancelAt = null;
        run.cancelAnswer = (await client.call('POST', `/api/v1/sagas/${id}/cancel`)).status;
      }
      const saga = (await client.call('GET', `/api/v1/sagas/${id}`)).body;
      run.status = saga.status;
      run.errorStep = saga.error?.step ?? null;
      run.errorCode = saga.error?.code ?? null;
      if (plan.definition !== 'order') run.view = saga;
      if (saga.status === 'FAILED' && run.retries < opts.maxRetries) {
        if (plan.definition === 'order') await clearFaultsOf(client, id);
        else await opts.heal?.(id);
        const r = await client.call('POST', `/api/v1/sagas/${id}/retry`);
        if (r.status === 202) run.retries++;
        else if (r.status !== 409)
          throw new Error(`retry answered ${r.status}: ${JSON.stringify(r.body)}`);
        continue;
      }
      if (FINAL.has(saga.status) && cancelAt === null) break;
      if (Date.now() > giveUpAt) {
        run.problem = `not final after ${opts.sagaTimeoutMs} ms (state ${saga.state})`;
        break;
      }
      await sleep(opts.pollMs);
    }
  } catch (err) {
    run.problem = (err as Error).message;
  }
  run.durationMs = Date.now() - began;
  return run;
}

/** Deletes what is left of a saga's own faults, so that its retry can succeed. */
async function clearFaultsOf(client: ServiceClient, sagaId: string): Promise<void> {
  const faults = (await client.call('GET', '/api/v1/faults')).body as {
    id: string;
    sagaId: string | null;
    remaining: number;
  }[];
  for (const f of faults) {
    if (f.sagaId === sagaId && f.remaining > 0)
      await client.call('DELETE', `/api/v1/faults/${f.id}`);
  }
}
