// The checks at the end of a soak, made directly on the database: the saga tables and each
// participant's own schema, as an auditor would, not through the service's API.
import {
  orderDefinition,
  replaySaga,
  validateSagaDefinition,
  type SagaDefinition,
  type SagaEvent,
} from '@app/saga-machines';
import { isDeepStrictEqual } from 'node:util';
import { Client } from 'pg';
import { participantSchemas } from '../../libs/participants/src/shared/participant-schema';
import { auditFlowSagas, type FlowFigures } from './flow-invariants';
import type { JournalEntry } from './flow-participant';
import { CATALOG, orderTotalCents, type OrderItem } from './saga-plan';
import type { SagaRun } from './saga-driver';

export interface InvariantResult {
  name: string;
  ok: boolean;
  detail: string;
}

export interface AuditFigures {
  sagas: number;
  byStatus: Record<string, number>;
  historyEvents: number;
  participantRows: number;
  chargedCents: number;
  refundedCents: number;
  feeCents: number;
  completedTotalCents: number;
  /** The flow sagas' audit against their participant's journal (none in an order-only run). */
  flow: FlowFigures | null;
}

export interface SagaRow {
  id: string;
  status: string;
  last_seq: number;
  snapshot: {
    context: {
      definition: string;
      definitionVersion: number;
      input: { items: OrderItem[] };
      createdAt: string;
      steps: { name: string; status: string }[];
    };
  };
}

const FINAL = new Set(['COMPLETED', 'COMPENSATED', 'FAILED']);
const MAX_LISTED = 5;

function listed(items: string[]): string {
  return items.length <= MAX_LISTED
    ? items.join('; ')
    : `${items.slice(0, MAX_LISTED).join('; ')}; … (${items.length} in all)`;
}

function merge(lines: OrderItem[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of lines) m.set(l.sku, (m.get(l.sku) ?? 0) + l.quantity);
  return m;
}

/** Which participant effects a saga must have left, from its steps' final statuses. */
function expectedEffects(saga: SagaRow): Set<string> {
  const keys = new Set<string>();
  for (const s of saga.snapshot.context.steps) {
    if (['succeeded', 'compensating', 'compensated', 'compensation_failed'].includes(s.status))
      keys.add(`${saga.id}:${s.name}:execute`);
    if (s.status === 'compensated') keys.add(`${saga.id}:${s.name}:compensate`);
  }
  return keys;
}

/** A saga's history entries, oldest first, as stored. */
export interface HistoryRow {
  saga_id: string;
  seq: number;
  type: string;
  event: SagaEvent | null;
}

export async function auditDatabase(
  databaseUrl: string,
  runs: SagaRun[],
  /** The flow participant's journal, when the run had flow sagas. */
  journal: JournalEntry[] | null = null,
): Promise<{ results: InvariantResult[]; figures: AuditFigures }> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const results: InvariantResult[] = [];
    const check = (name: string, problems: string[], okDetail: string) =>
      results.push({
        name,
        ok: problems.length === 0,
        detail: problems.length ? listed(problems) : okDetail,
      });

    const sagas = (
      await db.query<SagaRow>('SELECT id, status, last_seq, snapshot FROM saga.saga_instance')
    ).rows;
    const byId = new Map(sagas.map((s) => [s.id, s]));
    // The checks of the demo's own participants (effects, stock, money) are about order sagas.
    const orders = sagas.filter((s) => s.snapshot.context.definition === 'order');
    const byStatus: Record<string, number> = {};
    for (const s of sagas) byStatus[s.status] = (byStatus[s.status] ?? 0) + 1;

    // 1. Every saga the soak asked for exists once and is final.
    {
      const problems: string[] = [];
      const created = runs.filter((r) => r.sagaId);
      for (const r of runs)
        if (r.problem) problems.push(`saga #${r.plan.index} ${r.sagaId ?? ''}: ${r.problem}`);
      if (new Set(created.map((r) => r.sagaId)).size !== created.length)
        problems.push('two planned sagas got the same id');
      if (sagas.length !== created.length)
        problems.push(
          `${sagas.length} sagas in the database, ${created.length} created by the soak`,
        );
      for (const s of sagas) if (!FINAL.has(s.status)) problems.push(`${s.id} is ${s.status}`);
      check('every saga final', problems, `${sagas.length} sagas, all final`);
    }

    // 2 and 3. Participant effects: each at most once, and exactly those the step statuses say.
    const schemas = Object.values(participantSchemas);
    const tables = (
      await db.query<{ schema: string; table: string }>(
        `SELECT table_schema AS schema, table_name AS table FROM information_schema.columns
          WHERE column_name = 'idempotency_key' AND table_schema = ANY($1) ORDER BY 1, 2`,
        [schemas],
      )
    ).rows;
    const effects = new Map<string, number>(); // business-table idempotency key -> rows
    const operations = new Map<string, number>(); // operation-table idempotency key -> rows
    let participantRows = 0;
    for (const t of tables) {
      const rows = (
        await db.query<{ key: string }>(
          `SELECT idempotency_key AS key FROM "${t.schema}"."${t.table}"`,
        )
      ).rows;
      participantRows += rows.length;
      const into = t.table === 'operation' ? operations : effects;
      for (const { key } of rows)
        into.set(`${t.schema}|${key}`, (into.get(`${t.schema}|${key}`) ?? 0) + 1);
    }
    {
      const problems = [...effects, ...operations]
        .filter(([, n]) => n > 1)
        .map(([k, n]) => `${k} applied ${n} times`);
      check(
        'no participant effect applied twice',
        problems,
        `0 duplicates in ${tables.length} tables (${tables.map((t) => `${t.schema}.${t.table}`).join(', ')}), ${participantRows} rows`,
      );
    }
    {
      const problems: string[] = [];
      const actual = new Set([...effects.keys()].map((k) => k.split('|')[1]));
      const actualOps = new Set([...operations.keys()].map((k) => k.split('|')[1]));
      const wanted = new Set<string>();
      for (const s of orders) for (const k of expectedEffects(s)) wanted.add(k);
      for (const k of wanted) if (!actual.has(k)) problems.push(`missing effect ${k}`);
      for (const k of actual)
        if (!wanted.has(k)) problems.push(`effect with no succeeded step: ${k}`);
      for (const k of actual)
        if (!actualOps.has(k)) problems.push(`effect without its operation record: ${k}`);
      for (const k of actualOps)
        if (!actual.has(k)) problems.push(`operation record without its effect: ${k}`);
      check(
        'participant effects = step statuses',
        problems,
        `${wanted.size} effects, each where a step says it happened`,
      );
    }

    // 4. Stock: what left `available` is exactly what held reservations hold, all of COMPLETED sagas.
    {
      const problems: string[] = [];
      const stock = (
        await db.query<{ sku: string; available: string; reserved: string }>(
          'SELECT sku, available, reserved FROM inventory.stock_item',
        )
      ).rows;
      const held = (
        await db.query<{ saga_id: string; lines: OrderItem[] }>(
          `SELECT saga_id, lines FROM inventory.reservation WHERE status = 'held'`,
        )
      ).rows;
      const heldQty = new Map<string, number>();
      for (const r of held)
        for (const l of r.lines) heldQty.set(l.sku, (heldQty.get(l.sku) ?? 0) + l.quantity);
      for (const s of stock) {
        const initial = CATALOG[s.sku]?.stock ?? 0;
        const gone = initial - Number(s.available);
        const h = heldQty.get(s.sku) ?? 0;
        if (gone !== h || Number(s.reserved) !== h)
          problems.push(
            `${s.sku}: initial ${initial} − available ${s.available} = ${gone}, reserved ${s.reserved}, held by reservations ${h}`,
          );
      }
      const completed = new Set(orders.filter((s) => s.status === 'COMPLETED').map((s) => s.id));
      const holders = new Set(held.map((r) => r.saga_id));
      for (const id of holders)
        if (!completed.has(id))
          problems.push(
            `reservation still held by ${byId.get(id)?.status ?? 'unknown'} saga ${id}`,
          );
      for (const id of completed)
        if (!holders.has(id)) problems.push(`COMPLETED saga ${id} holds no reservation`);
      for (const r of held) {
        const want = merge(byId.get(r.saga_id)?.snapshot.context.input.items ?? []);
        if (!isDeepStrictEqual(merge(r.lines), want))
          problems.push(
            `saga ${r.saga_id} holds ${JSON.stringify(r.lines)}, ordered ${JSON.stringify([...want])}`,
          );
      }
      const moved = stock
        .map((s) => `${s.sku} −${(CATALOG[s.sku]?.stock ?? 0) - Number(s.available)}`)
        .join(', ');
      check(
        'stock conserved',
        problems,
        `${held.length} held reservations = the ${completed.size} COMPLETED sagas (${moved})`,
      );
    }

    // 5. Money: charged − refunded − fees = totals of COMPLETED sagas; refund + fee = charge when compensated.
    const money = { charged: 0, refunded: 0, fees: 0, completedTotal: 0 };
    {
      const problems: string[] = [];
      const charges = (
        await db.query<{ saga_id: string; amount_cents: string; status: string }>(
          'SELECT saga_id, amount_cents, status FROM payment.charge',
        )
      ).rows;
      const refunds = (
        await db.query<{
          saga_id: string;
          charged_cents: string;
          refunded_cents: string;
          fee_cents: string;
        }>('SELECT saga_id, charged_cents, refunded_cents, fee_cents FROM payment.refund')
      ).rows;
      const charged = new Map(charges.map((c) => [c.saga_id, c]));
      const refunded = new Map(refunds.map((r) => [r.saga_id, r]));
      for (const c of charges) money.charged += Number(c.amount_cents);
      for (const r of refunds) {
        money.refunded += Number(r.refunded_cents);
        money.fees += Number(r.fee_cents);
      }
      let failedHeld = 0;
      for (const s of orders) {
        const total = orderTotalCents(s.snapshot.context.input.items);
        const c = charged.get(s.id);
        const r = refunded.get(s.id);
        if (s.status === 'COMPLETED') {
          money.completedTotal += total;
          if (!c || Number(c.amount_cents) !== total || c.status !== 'captured')
            problems.push(
              `COMPLETED ${s.id}: charge ${c ? `${c.amount_cents} ${c.status}` : 'none'}, total ${total}`,
            );
          if (r) problems.push(`COMPLETED ${s.id} was refunded`);
        } else if (s.status === 'COMPENSATED') {
          const chargedCents = c ? Number(c.amount_cents) : 0;
          const back = r ? Number(r.refunded_cents) + Number(r.fee_cents) : 0;
          if (back !== chargedCents)
            problems.push(`COMPENSATED ${s.id}: charged ${chargedCents}, refund + fee ${back}`);
          if (c && c.status !== 'refunded')
            problems.push(`COMPENSATED ${s.id}: charge still ${c.status}`);
        } else if (s.status === 'FAILED' && c?.status === 'captured') {
          failedHeld += Number(c.amount_cents);
        }
      }
      const net = money.charged - money.refunded - money.fees;
      if (net !== money.completedTotal + failedHeld) {
        problems.push(
          `charged ${money.charged} − refunded ${money.refunded} − fees ${money.fees} = ${net}, COMPLETED totals ${money.completedTotal}${failedHeld ? ` + FAILED still charged ${failedHeld}` : ''}`,
        );
      }
      check(
        'money conserved',
        problems,
        `charged ${money.charged} − refunded ${money.refunded} − fees ${money.fees} = ${net} = Σ COMPLETED totals`,
      );
    }

    // 6 and 7. History: 1..n with no gap or repeat, and its replay gives the stored snapshot.
    const events = (
      await db.query<HistoryRow>(
        'SELECT saga_id, seq, type, event FROM saga.saga_event ORDER BY saga_id, seq',
      )
    ).rows;
    const history = new Map<string, HistoryRow[]>();
    for (const e of events) {
      const list = history.get(e.saga_id) ?? [];
      list.push(e);
      history.set(e.saga_id, list);
    }
    {
      const problems: string[] = [];
      for (const s of sagas) {
        const seqs = (history.get(s.id) ?? []).map((e) => e.seq);
        const contiguous = seqs.every((q, i) => q === i + 1);
        if (!contiguous || seqs.length !== s.last_seq)
          problems.push(
            `${s.id}: seq ${seqs.slice(0, 12).join(',')}… (${seqs.length} entries, last_seq ${s.last_seq})`,
          );
      }
      check(
        'history seq 1..n, no gap or repeat',
        problems,
        `${events.length} history entries over ${sagas.length} sagas`,
      );
    }
    const definitions = new Map<string, SagaDefinition>([['order@1', orderDefinition]]);
    for (const d of (
      await db.query<{ name: string; version: number; document: unknown }>(
        'SELECT name, version, document FROM saga.saga_definition',
      )
    ).rows)
      definitions.set(`${d.name}@${d.version}`, validateSagaDefinition(d.document));
    {
      const problems: string[] = [];
      for (const s of sagas) {
        const ctx = s.snapshot.context;
        const definition = definitions.get(`${ctx.definition}@${ctx.definitionVersion}`);
        if (!definition) {
          problems.push(`${s.id}: no stored definition ${ctx.definition}@${ctx.definitionVersion}`);
          continue;
        }
        const evts = (history.get(s.id) ?? []).flatMap((e) => (e.event ? [e.event] : []));
        try {
          const replayed = JSON.parse(
            JSON.stringify(
              replaySaga(
                definition,
                { sagaId: s.id, input: ctx.input, createdAt: ctx.createdAt },
                evts,
              ),
            ),
          );
          if (!isDeepStrictEqual(replayed, s.snapshot))
            problems.push(
              `${s.id}: replay ends in ${JSON.stringify(replayed.value)}, stored ${JSON.stringify((s.snapshot as { value?: unknown }).value)}`,
            );
        } catch (err) {
          problems.push(`${s.id}: replay threw ${(err as Error).message}`);
        }
      }
      check(
        'replay = stored snapshot',
        problems,
        `${sagas.length} histories replayed through their definition's machine (${[...new Set(sagas.map((s) => s.snapshot.context.definition))].join(', ')})`,
      );
    }

    let flow: FlowFigures | null = null;
    if (journal) {
      const audited = auditFlowSagas(
        sagas.filter((s) => s.snapshot.context.definition !== 'order'),
        history,
        journal,
        runs.filter((r) => r.plan.definition !== 'order'),
      );
      results.push(...audited.results);
      flow = audited.figures;
    }

    return {
      results,
      figures: {
        sagas: sagas.length,
        byStatus,
        historyEvents: events.length,
        participantRows,
        chargedCents: money.charged,
        refundedCents: money.refunded,
        feeCents: money.fees,
        completedTotalCents: money.completedTotal,
        flow,
      },
    };
  } finally {
    await db.end();
  }
}
