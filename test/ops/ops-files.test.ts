// ops/alerts.yml and ops/grafana-dashboard.json may only use metrics the service exports:
// names come from a running app's /metrics, not from a list kept by hand.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { startTestApp, type TestApp } from '../support/test-app';
import { exportedNames } from './ops-support';

const OPS = path.resolve(__dirname, '../../ops');
const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/** Metric names a PromQL expression reads: identifiers that are not functions, keywords or labels. */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // string literals
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // ranges
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '') // label lists
    .replace(/\$__\w+|\$\w+/g, '') // Grafana variables
    .replace(/\b\d+(\.\d+)?(e[+-]?\d+)?(ms|s|m|h|d|w|y)?\b/gi, ''); // numbers and durations
  const names: string[] = [];
  for (const m of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const followedByParen = /^\s*\(/.test(stripped.slice(m.index! + m[0].length));
    if (followedByParen || PROMQL_WORDS.has(m[0].toLowerCase())) continue;
    names.push(m[0]);
  }
  return names;
}

describe('ops files', () => {
  let t: TestApp;
  let exported: Set<string>;
  beforeAll(async () => {
    t = await startTestApp();
    exported = await exportedNames(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('the name extractor finds metric names and nothing else', () => {
    expect(
      metricNamesIn(
        'sum by (definition) (increase(a_total{status="FAILED"}[15m])) / on(x) max(b) > 0.05 and c offset 5m',
      ),
    ).toEqual(['a_total', 'b', 'c']);
  });

  describe('alerts.yml', () => {
    const rules = () =>
      parse(fs.readFileSync(path.join(OPS, 'alerts.yml'), 'utf8')).groups.flatMap(
        (g: { rules: unknown[] }) => g.rules,
      );

    it('has the three alerts of /api/v1/stats with their severities', () => {
      expect(
        rules().map((r: { alert: string; labels: { severity: string } }) => [
          r.alert,
          r.labels.severity,
        ]),
      ).toEqual([
        ['SagaHighFailureRate', 'critical'],
        ['SagaCompensationStorm', 'warning'],
        ['SagaStuckInProgress', 'critical'],
      ]);
    });

    it('every expression reads only metrics the service exports', () => {
      for (const r of rules()) {
        const names = metricNamesIn(r.expr);
        expect(names.length).toBeGreaterThan(0);
        for (const n of names)
          expect({ alert: r.alert, metric: n, exported: exported.has(n) }).toEqual({
            alert: r.alert,
            metric: n,
            exported: true,
          });
      }
    });

    it('promtool: the rules are valid and its unit tests (ops/alerts.test.yml) pass', () => {
      // promtool comes with Debian's `prometheus` package (.ci/run installs it).
      const run = (args: string[]) =>
        execFileSync('promtool', args, { cwd: OPS, encoding: 'utf8', stdio: 'pipe' });
      expect(run(['check', 'rules', 'alerts.yml'])).toMatch(/SUCCESS: 3 rules found/);
      expect(run(['test', 'rules', 'alerts.test.yml'])).toMatch(/SUCCESS/);
    });
  });

  describe('grafana-dashboard.json', () => {
    const dashboard = () =>
      JSON.parse(fs.readFileSync(path.join(OPS, 'grafana-dashboard.json'), 'utf8'));

    it('is a dashboard with panels that each query something', () => {
      const d = dashboard();
      expect(d.title).toBe('sagachart');
      expect(d.panels.length).toBeGreaterThanOrEqual(8);
      for (const p of d.panels) expect(p.targets.length).toBeGreaterThan(0);
      expect(new Set(d.panels.map((p: { id: number }) => p.id)).size).toBe(d.panels.length);
    });

    it('every panel and variable query reads only metrics the service exports, and every family is shown', () => {
      const d = dashboard();
      const used = new Set<string>();
      const exprs: string[] = [
        ...d.panels.flatMap((p: { targets: { expr: string }[] }) => p.targets.map((x) => x.expr)),
        ...d.templating.list
          .filter((v: { type: string }) => v.type === 'query')
          .map((v: { query: string }) => v.query.replace(/^label_values\((\w+),.*\)$/, '$1')),
      ];
      for (const e of exprs) {
        for (const n of metricNamesIn(e)) {
          used.add(n);
          expect({ expr: e, metric: n, exported: exported.has(n) }).toEqual({
            expr: e,
            metric: n,
            exported: true,
          });
        }
      }
      const families = [...exported].filter(
        (n) => n.startsWith('sagachart_') && !/_(sum|count|bucket)$/.test(n),
      );
      expect(families.length).toBeGreaterThanOrEqual(9);
      for (const f of families) {
        expect({ family: f, shown: used.has(f) || used.has(`${f}_bucket`) }).toEqual({
          family: f,
          shown: true,
        });
      }
    });
  });
});
