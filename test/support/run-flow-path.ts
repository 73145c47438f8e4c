// Drives the real service along one model-generated path of a flow definition: the scripted
// participant holds every call, and the driver answers them one at a time in exactly the order
// of the path's events (success: 200; failure: 409; failed attempt: 503, which the service
// retries), sends CANCEL and RETRY over HTTP where the path has them, and waits for each
// outcome to be in the saga's history before the next. So parallel outcomes land in the
// interleaving the model chose, not in whatever order the queue happens to pick.
import type { SagaEvent } from '@app/saga-machines';
import type { CompensationPath } from '@app/saga-machines/testing';
import type { Pool } from 'pg';
import type { ScriptedParticipant } from './scripted-participant';
import { waitForSaga, type TestApp } from './test-app';

type Json = Record<string, any>;

export interface FlowPathRun {
  sagaId: string;
  saga: Json;
  history: Json[];
}

/** `TYPE(step#item)` of a machine event, as path descriptions write it. */
export function eventSignature(e: { type: string; step?: string; item?: number }): string {
  if (e.step === undefined) return e.type;
  return `${e.type}(${e.step}${e.item === undefined ? '' : `#${e.item}`})`;
}

const MACHINE_ENTRIES: Record<string, (data: Json) => string> = {
  SAGA_STARTED: () => 'START',
  STEP_SUCCEEDED: () => 'STEP_SUCCEEDED',
  STEP_FAILED: (d) => (d.final ? 'STEP_FAILED' : 'STEP_ATTEMPT_FAILED'),
  COMPENSATION_SUCCEEDED: () => 'COMPENSATION_SUCCEEDED',
  COMPENSATION_FAILED: (d) => (d.final ? 'COMPENSATION_FAILED' : 'COMPENSATION_ATTEMPT_FAILED'),
  CANCEL_REQUESTED: () => 'CANCEL',
  DEADLINE_EXCEEDED: () => 'CANCEL',
  RETRY_REQUESTED: () => 'RETRY',
};

/** The machine events of a saga's public history (`GET /events`), as signatures. */
export function historySignatures(history: Json[]): string[] {
  return history
    .filter((e) => MACHINE_ENTRIES[e.type])
    .map((e) =>
      eventSignature({
        type: MACHINE_ENTRIES[e.type](e.data ?? {}),
        step: e.step ?? undefined,
        item: e.data?.item,
      }),
    );
}

const ANSWERS: Record<string, { status: number; body: Json }> = {
  STEP_SUCCEEDED: { status: 200, body: { done: true } },
  COMPENSATION_SUCCEEDED: { status: 200, body: { undone: true } },
  STEP_FAILED: { status: 409, body: { code: 'MODEL_FATAL', message: 'fails for good' } },
  COMPENSATION_FAILED: { status: 409, body: { code: 'MODEL_FATAL', message: 'fails for good' } },
  STEP_ATTEMPT_FAILED: { status: 503, body: { code: 'MODEL_TRANSIENT', message: 'flaky' } },
  COMPENSATION_ATTEMPT_FAILED: { status: 503, body: { code: 'MODEL_TRANSIENT', message: 'flaky' } },
};

async function machineEventsApplied(db: Pool, sagaId: string): Promise<number> {
  const { rows } = await db.query(
    `SELECT count(*)::int AS n FROM saga.saga_event
     WHERE saga_id = $1 AND event IS NOT NULL AND type <> 'EVENT_IGNORED'`,
    [sagaId],
  );
  return rows[0].n;
}

async function untilApplied(db: Pool, sagaId: string, n: number, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await machineEventsApplied(db, sagaId)) < n) {
    if (Date.now() > deadline) throw new Error(`saga ${sagaId}: ${what} never applied`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Runs `path` (it must start with START) against the service; returns what the service did. */
export async function runFlowPath(
  t: Pick<TestApp, 'api'>,
  db: Pool,
  svc: ScriptedParticipant,
  definition: string,
  path: CompensationPath,
): Promise<FlowPathRun> {
  const events = path.steps.slice(1).map((s) => s.event as SagaEvent);
  if (events[0]?.type !== 'START') throw new Error('a path over HTTP starts with START');
  const input = path.steps[0].state.context.input;
  const res = await t.api('/api/v1/sagas', { method: 'POST', json: { definition, input } });
  if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
  const sagaId = (await res.json()).id as string;
  let applied = 1;
  for (const e of events.slice(1)) {
    if (e.type === 'CANCEL' || e.type === 'RETRY') {
      const verb = e.type === 'CANCEL' ? 'cancel' : 'retry';
      const r = await t.api(`/api/v1/sagas/${sagaId}/${verb}`, { method: 'POST' });
      if (r.status !== 202) throw new Error(`${verb}: ${r.status} ${await r.text()}`);
    } else if (e.type !== 'START') {
      const kind = e.type.startsWith('STEP_') ? 'execute' : 'compensate';
      const call = await svc
        .nextHeld(
          (b) =>
            b.sagaId === sagaId &&
            b.step === e.step &&
            b.kind === kind &&
            b.itemIndex === e.item &&
            b.attempt === e.attempt,
        )
        .catch((err: Error) => {
          throw new Error(
            `saga ${sagaId}: waiting for the call of ${eventSignature(e)} (attempt ${e.attempt}): ${err.message}`,
          );
        });
      call.answer(ANSWERS[e.type]);
    }
    applied += 1;
    await untilApplied(db, sagaId, applied, eventSignature(e));
  }
  const saga = await waitForSaga(t, sagaId);
  const history = await (await t.api(`/api/v1/sagas/${sagaId}/events`)).json();
  return { sagaId, saga, history };
}
