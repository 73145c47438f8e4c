// `npm run paths -- <definition.json> [more.json …]`: generate and run every compensation path
// of a definition document (the JSON you POST to /api/v1/definitions), with the same
// model-based kit the service's own suite uses (xstate/graph). Nothing is started or called:
// it checks the saga's logic, not your services. Exit code 0 when every path holds, 1 otherwise.
import fs from 'node:fs';
import { definitionFromDocument, SagaDefinitionError } from '@app/saga-machines';
import { CompensationInvariantError, runCompensationPaths } from '@app/saga-machines/testing';

function check(file: string): boolean {
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    console.error(`${file}: cannot read it as JSON: ${(err as Error).message}`);
    return false;
  }
  try {
    const definition = definitionFromDocument(doc);
    const summary = runCompensationPaths(definition);
    console.log(
      `${file}: '${definition.name}' v${definition.version}, ${definition.steps.length} steps: ` +
        `${summary.paths} compensation paths checked ` +
        `(${summary.outcomes.COMPENSATED} end COMPENSATED, ${summary.outcomes.FAILED} end FAILED); ` +
        `${summary.transitionsCovered} of ${summary.transitionsTotal} transitions into compensation taken.`,
    );
    return true;
  } catch (err) {
    if (err instanceof SagaDefinitionError || err instanceof CompensationInvariantError) {
      console.error(`${file}: ${err.message}`);
      return false;
    }
    throw err;
  }
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: npm run paths -- <definition.json> [more.json …]');
  process.exit(2);
}
const results = files.map(check);
process.exit(results.every(Boolean) ? 0 : 1);
