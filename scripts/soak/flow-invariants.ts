// The flow sagas' checks: the stored sagas (snapshot, history) against what their participant
// journaled, call by call. A "unit" is what one idempotency key covers: a step, or one item of
// the forEach step. Order is the participant's arrival order (journal seq).
import { isDeepStrictEqual } from 'node:util';
import { FLOW_STEPS, type FlowPlan } from './flow-plan';
import type { JournalEntry } from './flow-participant';
import type { HistoryRow, InvariantResult, SagaRow } from './invariants';
import type { SagaRun } from './saga-driver';

export interface FlowFigures {
  sagas: number;
  byStatus: Record<string, number>;
  calls: number;
  /** Units whose action the saga says happened (each must be applied once). */
  executed: number;
  compensated: number;
  /** Calls answered from the journal: redeliveries, retries after a late reply. */
  repeats: number;
  lateReplies: number;
  unavailable: number;
  rejected: number;
  heals: number;
  dependencyPairs: number;
  itemOrderPairs: number;
}

type Json = Record<string, unknown>;

interface Unit {
  step: string;
  index: number | null;
  status: string;
  executeKey: string;
  compensateKey: string;
}

interface UnitRecord {
  status: string;
  output?: unknown;
  compensation?: { status?: string; output?: unknown } | null;
}

const EXECUTED = new Set(['succeeded', 'compensating', 'compensated', 'compensation_failed']);
const MAX_LISTED = 5;

const listed = (items: string[]) =>
  items.length <= MAX_LISTED
    ? items.join('; ')
    : `${items.slice(0, MAX_LISTED).join('; ')}; … (${items.length} in all)`;

const keyOf = (saga: string, step: string, kind: string, index: number | null) =>
  `${saga}:${step}:${kind}${index === null ? '' : `:${index}`}`;

function unitsOf(saga: SagaRow): Unit[] {
  const steps = (saga.snapshot.context as unknown as { steps: (UnitRecord & Json)[] }).steps;
  return steps.flatMap((s) => {
    const name = s.name as string;
    const items = s.items as (UnitRecord & { index: number })[] | undefined;
    const one = (status: string, index: number | null): Unit => ({
      step: name,
      index,
      status,
      executeKey: keyOf(saga.id, name, 'execute', index),
      compensateKey: keyOf(saga.id, name, 'compensate', index),
    });
    return items ? items.map((i) => one(i.status, i.index)) : [one(s.status, null)];
  });
}

/** A forEach item's record in the stored snapshot. */
function storedItem(saga: SagaRow, u: Unit): UnitRecord | undefined {
  const steps = (saga.snapshot.context as unknown as { steps: (UnitRecord & Json)[] }).steps;
  const items = steps.find((s) => s.name === u.step)?.items as
    (UnitRecord & { index: number })[] | undefined;
  return items?.find((i) => i.index === u.index);
}

export function auditFlowSagas(
  sagas: SagaRow[],
  history: Map<string, HistoryRow[]>,
  journal: JournalEntry[],
  runs: SagaRun[],
): { results: InvariantResult[]; figures: FlowFigures } {
  const results: InvariantResult[] = [];
  const check = (name: string, problems: string[], okDetail: string) =>
    results.push({
      name,
      ok: problems.length === 0,
      detail: problems.length ? listed(problems) : okDetail,
    });
  const calls = journal.filter((e) => e.type === 'call');
  const byKey = new Map<string, JournalEntry[]>();
  for (const e of calls) byKey.set(e.key!, [...(byKey.get(e.key!) ?? []), e]);
  const applied = (key: string) => (byKey.get(key) ?? []).filter((e) => e.outcome === 'applied');
  /** When the key's effect happened (its first application), or null. */
  const appliedAt = (key: string) => applied(key)[0]?.seq ?? null;
  const firstCall = (key: string) => byKey.get(key)?.[0]?.seq ?? null;
  const sagaIds = new Set(sagas.map((s) => s.id));
  const units = new Map(sagas.map((s) => [s.id, unitsOf(s)]));
  const figures: FlowFigures = {
    sagas: sagas.length,
    byStatus: {},
    calls: calls.length,
    executed: 0,
    compensated: 0,
    repeats: calls.filter((e) => e.outcome === 'repeat').length,
    lateReplies: calls.filter((e) => e.late).length,
    unavailable: calls.filter((e) => e.outcome === 'unavailable').length,
    rejected: calls.filter((e) => e.outcome === 'rejected').length,
    heals: journal.filter((e) => e.type === 'heal').length,
    dependencyPairs: 0,
    itemOrderPairs: 0,
  };
  for (const s of sagas) figures.byStatus[s.status] = (figures.byStatus[s.status] ?? 0) + 1;

  // 1. The outcome the script decides (a cancel that was accepted: COMPENSATED).
  {
    const problems: string[] = [];
    const byRule: Record<string, number> = {};
    for (const r of runs) {
      const plan = r.plan as FlowPlan;
      byRule[plan.rule] = (byRule[plan.rule] ?? 0) + 1;
      if (!r.sagaId) continue;
      const cancelled = r.cancelAnswer === 202;
      const want = cancelled ? 'COMPENSATED' : plan.expected.status;
      const what = `#${plan.index} ${r.sagaId} (${plan.rule}${plan.tags.length ? `, ${plan.tags.join('+')}` : ''})`;
      if (r.status !== want) problems.push(`${what}: ${r.status}, planned ${want}`);
      else if (
        !cancelled &&
        (r.errorStep !== plan.expected.step || r.errorCode !== plan.expected.code)
      )
        problems.push(
          `${what}: error ${r.errorStep} ${r.errorCode}, planned ${plan.expected.step} ${plan.expected.code}`,
        );
      else if (!cancelled && plan.rule === 'flow-compensation-stuck' && r.retries === 0)
        problems.push(`${what}: the stuck compensation never made it FAILED`);
    }
    check(
      'flow: outcome as planned',
      problems,
      `${runs.length} flow sagas as their script says (${Object.entries(byRule)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}); accepted cancels COMPENSATED`,
    );
  }

  // 2. Each unit the saga says happened was applied exactly once; nothing else, no key twice.
  {
    const problems: string[] = [];
    for (const e of calls) {
      if (e.badKey) problems.push(`call #${e.seq} Idempotency-Key ${e.badKey}`);
      if (!sagaIds.has(e.sagaId)) problems.push(`call #${e.seq} for unknown saga ${e.sagaId}`);
    }
    for (const [key, list] of byKey) {
      const n = list.filter((e) => e.outcome === 'applied').length;
      if (n > 1) problems.push(`${key} applied ${n} times`);
    }
    for (const [id, list] of units)
      for (const u of list) {
        const n = applied(u.executeKey).length;
        if (EXECUTED.has(u.status)) {
          figures.executed++;
          if (n !== 1) problems.push(`${u.executeKey}: ${u.status}, applied ${n} times`);
        } else if (n > 0) problems.push(`${u.executeKey}: ${u.status} in saga ${id}, yet applied`);
      }
    check(
      'flow: each succeeded step/item applied exactly once',
      problems,
      `${figures.executed} effects, each applied once by key; ${figures.repeats} repeated calls answered from the journal (${figures.lateReplies} after a late reply)`,
    );
  }

  // 3. Compensated at most once; exactly once each when the saga ended COMPENSATED.
  {
    const problems: string[] = [];
    for (const s of sagas)
      for (const u of units.get(s.id)!) {
        const n = applied(u.compensateKey).length;
        figures.compensated += Math.min(n, 1);
        if (n > 1) problems.push(`${u.compensateKey} compensated ${n} times`);
        if (s.status === 'COMPENSATED' && EXECUTED.has(u.status) && n !== 1)
          problems.push(`COMPENSATED ${s.id}: ${u.step}${u.index ?? ''} compensated ${n} times`);
        if (s.status === 'COMPLETED' && byKey.has(u.compensateKey))
          problems.push(`COMPLETED ${s.id}: ${u.compensateKey} was called`);
      }
    check(
      'flow: compensated at most once (once when COMPENSATED)',
      problems,
      `${figures.compensated} compensations, each applied once; none called for a COMPLETED saga`,
    );
  }

  // 4. Dependency order: a step starts after its dependencies were applied; a compensation
  // starts after every executed unit of each step depending on it was undone.
  {
    const problems: string[] = [];
    for (const s of sagas) {
      const list = units.get(s.id)!;
      const of = (step: string) => list.filter((u) => u.step === step);
      for (const spec of FLOW_STEPS) {
        const starts = of(spec.name)
          .map((u) => firstCall(u.executeKey))
          .filter((q): q is number => q !== null);
        for (const dep of spec.dependsOn)
          for (const d of of(dep)) {
            if (!starts.length) break;
            figures.dependencyPairs++;
            const at = appliedAt(d.executeKey);
            if (at === null || at > Math.min(...starts))
              problems.push(
                `${s.id}: ${spec.name} called (#${Math.min(...starts)}) before ${d.executeKey} was applied (${at ?? 'never'})`,
              );
          }
        const undoStarts = of(spec.name)
          .map((u) => firstCall(u.compensateKey))
          .filter((q): q is number => q !== null);
        if (!undoStarts.length) continue;
        for (const dependent of FLOW_STEPS.filter((x) => x.dependsOn.includes(spec.name)))
          for (const d of of(dependent.name)) {
            if (appliedAt(d.executeKey) === null) continue;
            figures.dependencyPairs++;
            const at = appliedAt(d.compensateKey);
            if (at === null || at > Math.min(...undoStarts))
              problems.push(
                `${s.id}: ${spec.name} compensation called (#${Math.min(...undoStarts)}) before ${d.compensateKey} was applied (${at ?? 'never'})`,
              );
          }
      }
    }
    check(
      'flow: dependency order (forward and undo)',
      problems,
      `${figures.dependencyPairs} step pairs in order: no step before its dependencies, no compensation before its succeeded dependents' compensations`,
    );
  }

  // 5. Items: undone one at a time, highest index first, exactly the ones that succeeded.
  {
    const problems: string[] = [];
    for (const s of sagas) {
      for (const spec of FLOW_STEPS.filter((x) => x.forEach)) {
        const items = units.get(s.id)!.filter((u) => u.step === spec.name);
        const undone = items
          .filter((u) => byKey.has(u.compensateKey))
          .sort((a, b) => b.index! - a.index!);
        for (let i = 1; i < undone.length; i++) {
          figures.itemOrderPairs++;
          const prev = appliedAt(undone[i - 1].compensateKey);
          const start = firstCall(undone[i].compensateKey)!;
          if (prev === null || prev > start)
            problems.push(
              `${s.id}: item ${undone[i].index} undone (#${start}) before item ${undone[i - 1].index} was (${prev ?? 'never'})`,
            );
        }
        if (s.status === 'COMPENSATED') {
          const want = items.filter((u) => appliedAt(u.executeKey) !== null).map((u) => u.index);
          const got = undone.map((u) => u.index).sort((a, b) => a! - b!);
          if (!isDeepStrictEqual(want, got))
            problems.push(`${s.id}: items applied ${want.join(',')}, undone ${got.join(',')}`);
        }
      }
    }
    check(
      'flow: items undone in reverse index order, only succeeded ones',
      problems,
      `${figures.itemOrderPairs} consecutive item undos in reverse index order, each after the one above`,
    );
  }

  // 6. What failed (or never ran) is never compensated: no compensation call at all.
  {
    const problems: string[] = [];
    let failed = 0;
    for (const list of units.values())
      for (const u of list) {
        if (appliedAt(u.executeKey) !== null) continue;
        if (u.status === 'failed') failed++;
        if (byKey.has(u.compensateKey))
          problems.push(`${u.compensateKey} called, but ${u.executeKey} was never applied`);
        if (u.status.startsWith('compensat'))
          problems.push(`${u.executeKey} never applied, yet ${u.status}`);
      }
    check(
      'flow: nothing that failed is compensated',
      problems,
      `${failed} failed steps/items, none compensated (no compensation call for anything not applied)`,
    );
  }

  // 7. The API's step view and the stored history say what the participant journaled.
  {
    const problems: string[] = [];
    let compared = 0;
    for (const r of runs) {
      const saga = r.sagaId ? sagas.find((s) => s.id === r.sagaId) : undefined;
      if (!saga || !r.view) continue;
      const view = r.view as { status: string; steps: (UnitRecord & Json)[] };
      if (view.status !== saga.status)
        problems.push(`${saga.id}: the API said ${view.status}, stored ${saga.status}`);
      const events = history.get(saga.id) ?? [];
      const count = (type: string, u: Unit) =>
        events.filter(
          (e) =>
            e.type === type &&
            e.event &&
            'step' in e.event &&
            e.event.step === u.step &&
            ((e.event as { item?: number }).item ?? null) === u.index,
        ).length;
      for (const u of units.get(saga.id)!) {
        compared++;
        const step = view.steps.find((x) => x.name === u.step);
        const rec: UnitRecord | undefined =
          u.index === null
            ? step
            : (step?.items as (UnitRecord & { index: number })[] | undefined)?.find(
                (i) => i.index === u.index,
              );
        const name = `${saga.id} ${u.step}${u.index === null ? '' : `[${u.index}]`}`;
        const exec = applied(u.executeKey)[0];
        const undo = applied(u.compensateKey)[0];
        if (!rec) {
          problems.push(`${name}: not in the step view`);
          continue;
        }
        if (EXECUTED.has(rec.status) !== Boolean(exec))
          problems.push(
            `${name}: view ${rec.status}, participant ${exec ? 'applied' : 'not applied'}`,
          );
        if ((rec.status === 'compensated') !== Boolean(undo))
          problems.push(
            `${name}: view ${rec.status}, compensation ${undo ? 'applied' : 'not applied'}`,
          );
        if (exec && EXECUTED.has(rec.status) && !isDeepStrictEqual(rec.output, exec.result))
          problems.push(
            `${name}: view output ${JSON.stringify(rec.output)}, participant ${JSON.stringify(exec.result)}`,
          );
        // The API's item view carries only the compensation's status and attempts: the
        // output is compared in the stored snapshot then.
        const undoOutput =
          rec.compensation && 'output' in rec.compensation
            ? rec.compensation.output
            : storedItem(saga, u)?.compensation?.output;
        if (undo && rec.compensation?.status !== 'succeeded')
          problems.push(`${name}: compensation ${rec.compensation?.status ?? 'none'} in the view`);
        if (undo && !isDeepStrictEqual(undoOutput, undo.result))
          problems.push(
            `${name}: compensation output ${JSON.stringify(undoOutput)}, participant ${JSON.stringify(undo.result)}`,
          );
        if (count('STEP_SUCCEEDED', u) !== (exec ? 1 : 0))
          problems.push(`${name}: ${count('STEP_SUCCEEDED', u)} STEP_SUCCEEDED in history`);
        if (count('COMPENSATION_SUCCEEDED', u) !== (undo ? 1 : 0))
          problems.push(
            `${name}: ${count('COMPENSATION_SUCCEEDED', u)} COMPENSATION_SUCCEEDED in history`,
          );
      }
    }
    check(
      'flow: step views and history = participant journal',
      problems,
      `${compared} steps/items: status, outputs and STEP_/COMPENSATION_SUCCEEDED entries match the journal`,
    );
  }

  return { results, figures };
}
