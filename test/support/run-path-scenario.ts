// Drives one PathScenario through the HTTP API of a running service and reports what the
// service did, for the caller to compare with what the model says.
import { orderInput, waitForSaga, type TestApp } from './test-app';
import type { PathScenario } from './path-scenario';

type Json = Record<string, any>;

export interface ScenarioRun {
  sagaId: string;
  saga: Json;
  events: Json[];
  customerId: string;
}

const isFinal = (s: { status: string }) =>
  ['COMPLETED', 'COMPENSATED', 'FAILED'].includes(s.status);

export async function runScenario(
  t: Pick<TestApp, 'api'>,
  sc: PathScenario,
  customerId: string,
): Promise<ScenarioRun> {
  const res = await t.api('/api/v1/sagas', {
    method: 'POST',
    json: { definition: 'order', input: { ...orderInput(), customerId }, faults: sc.faults },
  });
  if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
  const sagaId = (await res.json()).id as string;
  if (sc.cancel) {
    const { step, afterAttempts } = sc.cancel;
    await waitForSaga(t, sagaId, (s: any) => {
      if (isFinal(s)) throw new Error(`saga finished before the cancel point: ${s.state}`);
      const rec = s.steps.find((x: Json) => x.name === step);
      return s.state === `EXECUTING.${step}` && rec.attempts === afterAttempts;
    });
    const c = await t.api(`/api/v1/sagas/${sagaId}/cancel`, { method: 'POST' });
    if (c.status !== 202) throw new Error(`cancel: ${c.status} ${await c.text()}`);
  }
  for (let i = 0; i < sc.retries; i++) {
    await waitForSaga(
      t,
      sagaId,
      (s: any) =>
        s.status === 'FAILED' && (s.steps as Json[]).every((x) => x.status !== 'compensating'),
    );
    const r = await t.api(`/api/v1/sagas/${sagaId}/retry`, { method: 'POST' });
    if (r.status !== 202) throw new Error(`retry: ${r.status} ${await r.text()}`);
    // Wait until the retry has been taken before looking for the next FAILED: by its history
    // entry, not by the status, which can be FAILED again before a poll sees it change.
    for (const deadline = Date.now() + 30_000; ;) {
      const events = (await (await t.api(`/api/v1/sagas/${sagaId}/events`)).json()) as Json[];
      if (events.filter((e) => e.type === 'RETRY_REQUESTED').length === i + 1) break;
      if (Date.now() > deadline) throw new Error(`saga ${sagaId}: retry ${i + 1} not recorded`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const saga = await waitForSaga(t, sagaId, isFinal as never, 60_000);
  const events = await (await t.api(`/api/v1/sagas/${sagaId}/events`)).json();
  return { sagaId, saga, events, customerId };
}
