// SQL only with parameters: every template literal in apps/ and libs/ that reads as SQL may
// interpolate only the known-safe constant names listed here (schemas, tables, column SQL built
// from constants). A value from a request must go through $1, $2, ...
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '../..');

/** file (from the repository root) → the interpolated expressions allowed in its SQL. */
const ALLOWED: Record<string, string[]> = {
  // CREATE DATABASE takes no parameters; the name is a constant of the module.
  'apps/api/src/database/embedded-database.ts': ['DATABASE_NAME'],
  // LISTEN takes no parameters; the channel is a constant. (err.message: a log line about LISTEN.)
  'apps/api/src/sagas/saga-events.hub.ts': ['SAGA_EVENTS_CHANNEL', 'err.message'],
  // One-statement writes composed from the module's own literal SQL constants.
  'apps/api/src/runtime/saga-store.ts': ['UPDATE_SNAPSHOT_SQL', 'HISTORY_AND_NOTIFY_SQL'],
  // The outbox helper's table and LISTEN channel: identifiers (no parameters possible), built
  // from a schema name checked against ^[a-z_][a-z0-9_]{0,62}$ and quoted.
  'libs/event-outbox/src/outbox.ts': ['schema', 'table', 'channel'],
  // The delivery column list, a literal constant of the module.
  'apps/api/src/events/event-store.ts': ['DELIVERY_COLUMNS'],
  // The literal list of final statuses, a constant of the module.
  'apps/api/src/stats/stats.service.ts': ['FINAL'],
  // `"${schema}"."operation"`, the participant's own schema name, a constant of each participant.
  'libs/participants/src/shared/idempotent-operation.ts': ['schema', 'table'],
};

const SQL =
  /\b(SELECT|INSERT\s+INTO|UPDATE\s+\S+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX|DATABASE|SCHEMA)|ALTER\s+TABLE|DROP\s+\w+|TRUNCATE|LISTEN|NOTIFY|WHERE|FROM\s+["\w$]|JOIN|VALUES)\b/;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sourceFiles(p);
    return /\.ts$/.test(e.name) && !/\.(test|spec)\.ts$/.test(e.name) ? [p] : [];
  });
}

/** Each SQL-looking template literal with `${…}`: where it is and what it interpolates. */
export function interpolatedSql(
  file: string,
  text: string,
): { line: number; expr: string; sql: string }[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const found: { line: number; expr: string; sql: string }[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isTemplateExpression(node)) {
      const literal = [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join(' ');
      if (SQL.test(literal)) {
        for (const span of node.templateSpans) {
          found.push({
            line: sf.getLineAndCharacterOfPosition(span.getStart()).line + 1,
            expr: span.expression.getText(sf),
            sql: literal.slice(0, 80),
          });
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** Files whose SQL is built from constant fragments (checked by their own allow-list line). */
const CONSTANT_FRAGMENT_FILES: Record<string, RegExp> = {
  // Column lists and JSON builders composed from literal SQL by helper functions.
  'libs/participants/src/shared/sql.ts': /^(isoUtc\('created_at'\)|dataSql)$/,
  'libs/participants/src/participant-records.ts':
    /^recordColumns\(\s*'[a-z_]+',\s*`([^`$]|\$\{isoUtc\('[a-z_]+'\)\})*`,?\s*\)$/,
  // The table name is quoted with "" doubled, and only names from the participant's own table list reach it.
  'libs/participants/src/participant-observation.ts': /^(schema|table\.replace\(\/"\/g, '""'\))$/,
};

describe('SQL is built with parameters, not interpolation', () => {
  it('every interpolation into SQL in apps/ and libs/ is an allow-listed constant', () => {
    const offenders: string[] = [];
    let seen = 0;
    for (const file of [
      ...sourceFiles(path.join(ROOT, 'apps')),
      ...sourceFiles(path.join(ROOT, 'libs')),
    ]) {
      const rel = path.relative(ROOT, file);
      for (const hit of interpolatedSql(rel, fs.readFileSync(file, 'utf8'))) {
        seen++;
        const ok = ALLOWED[rel]?.includes(hit.expr) || CONSTANT_FRAGMENT_FILES[rel]?.test(hit.expr);
        if (!ok) offenders.push(`${rel}:${hit.line}: \${${hit.expr}} in \`${hit.sql}…\``);
      }
    }
    expect(seen).toBeGreaterThan(0); // the scanner does find SQL
    expect(offenders).toEqual([]);
  });

  it('the scanner catches a request value interpolated into SQL', () => {
    const bad = "await ds.query(`SELECT * FROM saga.saga_instance WHERE id = '${req.params.id}'`);";
    expect(interpolatedSql('x.ts', bad)).toEqual([
      expect.objectContaining({ expr: 'req.params.id' }),
    ]);
    const good = 'await ds.query(`SELECT * FROM saga.saga_instance WHERE id = $1`, [id]);';
    expect(interpolatedSql('x.ts', good)).toEqual([]);
  });
});
