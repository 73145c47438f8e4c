// Every compensation path the model-based machine suite generates for `order`, driven end
// to end through HTTP against the real service (PostgreSQL, BullMQ on each backend), with
// fault injection choosing where it fails, and the participants' own state checked after.
import {
  applySagaEvent,
  initialSagaSnapshot,
  orderDefinition,
  replaySaga,
} from '@app/saga-machines';
import { randomUUID } from 'node:crypto';
import { SagaStore } from '../../apps/api/src/runtime/saga-store';
import { generateCompensationPaths } from '@app/saga-machines/testing';
import { Client } from 'pg';
import { scenarioOf, type PathScenario } from '../support/path-scenario';
import { runScenario, type ScenarioRun } from '../support/run-path-scenario';
import { testRedisUrl } from '../support/test-database';
import { orderInput, startTestApp, type TestApp } from '../support/test-app';

type Json = Record<string, any>;

const paths = generateCompensationPaths(orderDefinition);
const scenarios = paths.map((p) => scenarioOf(orderDefinition, p));
const overHttp = scenarios.filter((s) => !s.cancelBeforeStart);
const CONCURRENCY = 24;

/** What a participant should hold for a saga, from the step's final status. */
const RECORDS_BY_STATUS: Record<string, number> = {
  pending: 0,
  failed: 0,
  succeeded: 1,
  compensation_failed: 1,
  compensated: 2,
};

async function runAll(t: TestApp, list: PathScenario[]): Promise<Map<PathScenario, ScenarioRun>> {
  const results = new Map<PathScenario, ScenarioRun>();
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      const i = next++;
      results.set(list[i], await runScenario(t, list[i], `path-${i}`));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return results;
}

const backends: ('postgres' | 'redis')[] = testRedisUrl() ? ['postgres', 'redis'] : ['postgres'];

describe.each(backends)(
  'order compensation paths end to end over HTTP (BullMQ on %s)',
  (backend) => {
    let t: TestApp;
    let runs: Map<PathScenario, ScenarioRun>;

    beforeAll(async () => {
      t = await startTestApp({
        backend,
        env: { SAGA_FAULTS: 'enabled', SAGA_WORKER_CONCURRENCY: '32' },
      });
      runs = await runAll(t, overHttp);
      console.log(
        `order (${backend}): ${paths.length} compensation paths from the model; ${overHttp.length} run end to end over HTTP, ` +
          `${paths.length - overHttp.length} (CANCEL before START) checked through the runtime below`,
      );
    }, 600_000);
    afterAll(async () => {
      await t?.close();
    });

    it('runs as many paths as the machine suite generates', () => {
      expect(paths.length).toBe(290);
      expect(overHttp.length + scenarios.filter((s) => s.cancelBeforeStart).length).toBe(
        paths.length,
      );
      expect(runs.size).toBe(overHttp.length);
    });

    it.each(overHttp.map((s) => [s.description, s] as const))('%s', async (_d, sc) => {
      const { saga, events, sagaId } = runs.get(sc)!;
      expect(saga.status).toBe(sc.expected.status);
      expect(saga.steps.map((s: Json) => s.status)).toEqual(sc.expected.stepStatuses);
      // Compensations ran in exactly the order the model says: the reverse of the successes.
      const compensated = events
        .filter((e) => e.type === 'COMPENSATION_SUCCEEDED')
        .map((e) => e.step);
      expect(compensated).toEqual(sc.expected.compensated);
      expect(saga.requiresManualIntervention).toBe(saga.status === 'FAILED');
      if (saga.status === 'FAILED')
        expect(saga.error.step).toBe(
          saga.steps.find((s: Json) => s.status === 'compensation_failed').name,
        );
      // History: sequence numbers 1..n, and replay of its machine events gives the stored state.
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      // The participants' own state agrees with the statuses.
      for (const step of orderDefinition.steps) {
        const status = saga.steps.find((s: Json) => s.name === step.name).status;
        const records: Json[] = await (
          await t.api(`/api/v1/participants/${step.participant}/records?sagaId=${sagaId}`)
        ).json();
        expect({ step: step.name, status, records: records.length }).toEqual({
          step: step.name,
          status,
          records: RECORDS_BY_STATUS[status],
        });
      }
      const ledger = await (
        await t.api(`/api/v1/participants/payment/ledger?sagaId=${sagaId}`)
      ).json();
      const payment = saga.steps.find((s: Json) => s.name === 'process_payment').status;
      if (payment === 'compensated') {
        expect(ledger.chargedCents).toBe(7990000);
        expect(ledger.refundedCents + ledger.feeCents).toBe(ledger.chargedCents);
        expect(ledger.feeCents).toBeGreaterThan(0);
      } else if (payment === 'succeeded' || payment === 'compensation_failed') {
        expect(ledger).toEqual({ chargedCents: 7990000, refundedCents: 0, feeCents: 0 });
      } else {
        expect(ledger).toEqual({ chargedCents: 0, refundedCents: 0, feeCents: 0 });
      }
    });

    it.each(scenarios.filter((s) => s.cancelBeforeStart).map((s) => [s.description, s] as const))(
      '%s (through the runtime: the API applies START in the creating transaction)',
      async (_d, sc) => {
        const sagaId = randomUUID();
        const createdAt = new Date().toISOString();
        const snapshot = initialSagaSnapshot(orderDefinition, {
          sagaId,
          input: orderInput(),
          createdAt,
        });
        const result = applySagaEvent(orderDefinition, snapshot, {
          type: 'CANCEL',
          reason: 'requested',
          at: createdAt,
        });
        expect(result.commands).toEqual([]);
        await t.app
          .get(SagaStore)
          .create({ id: sagaId, definition: 'order', definitionVersion: 1, result });
        const saga = await (await t.api(`/api/v1/sagas/${sagaId}`)).json();
        expect(saga.status).toBe(sc.expected.status);
        expect(saga.steps.map((s: Json) => s.status)).toEqual(sc.expected.stepStatuses);
        for (const step of orderDefinition.steps) {
          expect(
            await (
              await t.api(`/api/v1/participants/${step.participant}/records?sagaId=${sagaId}`)
            ).json(),
          ).toEqual([]);
        }
      },
    );

    it('stock is conserved: the only IPHONE-15 units still reserved are those of unreleased reservations', async () => {
      const held = [...runs.values()].filter((r) =>
        ['succeeded', 'compensation_failed'].includes(
          r.saga.steps.find((s: Json) => s.name === 'reserve_inventory').status,
        ),
      ).length;
      const stock = await (await t.api('/api/v1/participants/inventory/stock/IPHONE-15')).json();
      expect(stock.reserved).toBe(held);
      expect(stock.available + stock.reserved).toBe(1_000_000);
    });

    it('replaying each saga history through the machine gives its stored snapshot', async () => {
      const db = new Client({ connectionString: t.databaseUrl });
      await db.connect();
      try {
        for (const { sagaId } of runs.values()) {
          const {
            rows: [row],
          } = await db.query('SELECT snapshot FROM saga.saga_instance WHERE id = $1', [sagaId]);
          const { rows } = await db.query(
            'SELECT event FROM saga.saga_event WHERE saga_id = $1 AND event IS NOT NULL ORDER BY seq',
            [sagaId],
          );
          const ctx = row.snapshot.context;
          const replayed = replaySaga(
            orderDefinition,
            { sagaId, input: ctx.input, createdAt: ctx.createdAt },
            rows.map((r) => r.event),
          );
          expect(replayed).toEqual(row.snapshot);
        }
      } finally {
        await db.end();
      }
    });
  },
);
