// The soak's printed figures: a plain-text table a person can paste into the README.
import type { SoakSummary } from './run-soak';

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const fmt = (r: Record<string, number>) =>
  Object.entries(r)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

export function formatSummary(s: SoakSummary): string {
  const rows: [string, string][] = [
    ['backend', s.backend],
    ['seed', String(s.seed)],
    ['sagas', `${s.sagas.created} created of ${s.sagas.planned} planned, ${s.sagas.final} final`],
    ['outcomes', fmt(s.sagas.byStatus)],
    ['business rules', fmt(s.mix.byRule)],
    ['faults / cancels', fmt(s.mix.byTag)],
    ['FAILED then retried', `${s.mix.retried} sagas (POST /retry after their faults were deleted)`],
    ['cancels accepted', String(s.mix.cancelAccepted)],
    [
      'outcome as API.md says',
      `${s.deviations.checked - s.deviations.count}/${s.deviations.checked} sagas with no deciding fault or cancel`,
    ],
    ['worker SIGKILLs', String(s.chaos.kills)],
    ['PostgreSQL restarts', String(s.chaos.databaseRestarts)],
    ['Redis restarts', String(s.chaos.redisRestarts)],
    ['duration', `${(s.durationMs / 1000).toFixed(1)} s`],
    ['throughput', `${s.throughputPerSecond} sagas/s`],
    [
      'saga duration',
      `p50 ${s.sagaDurationMs.p50} ms, p95 ${s.sagaDurationMs.p95} ms, max ${s.sagaDurationMs.max} ms`,
    ],
    ['client retries (5xx / no answer)', String(s.clientRetries)],
  ];
  const flow = s.audit?.flow;
  if (flow) {
    rows.push(
      ['flow sagas (soak-flow)', `${flow.sagas}: ${fmt(flow.byStatus)}`],
      [
        'flow participant calls',
        `${flow.calls}: ${flow.executed} effects, ${flow.compensated} compensations, ${flow.repeats} repeats answered from the journal, ${flow.lateReplies} late replies, ${flow.unavailable} × 503, ${flow.rejected} × 422, ${flow.heals} heals`,
      ],
    );
  }
  const w = Math.max(...rows.map(([k]) => k.length)) + 2;
  const lines = rows.map(([k, v]) => `  ${pad(k, w)}${v}`);
  lines.push('', '  invariants');
  const iw = Math.max(...s.invariants.map((i) => i.name.length)) + 2;
  for (const i of s.invariants)
    lines.push(`  ${i.ok ? 'PASS' : 'FAIL'}  ${pad(i.name, iw)}${i.detail}`);
  if (s.deviations.count) {
    lines.push('', '  outcomes that differ from the business rules (informational):');
    for (const e of s.deviations.examples) lines.push(`    ${e}`);
  }
  lines.push('', `  ${s.ok ? 'SOAK PASSED' : 'SOAK FAILED'} (logs: ${s.logs})`);
  return lines.join('\n');
}
