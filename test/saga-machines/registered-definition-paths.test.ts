// The model-based kit on a registered JSON definition (the travel example's document), the same
// way the service's own suite runs it on `order`; and `npm run paths`, the documented command
// that does it for any definition file.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { definitionFromDocument, isFlowDefinition } from '@app/saga-machines';
import {
  checkCompensationPath,
  checkCompensationTransitionCoverage,
  generateCompensationPaths,
} from '@app/saga-machines/testing';

const ROOT = path.resolve(__dirname, '../..');
const TRAVEL = path.join(ROOT, 'examples/travel/travel.definition.json');
const travel = definitionFromDocument(JSON.parse(fs.readFileSync(TRAVEL, 'utf8')));
const paths = generateCompensationPaths(travel);

/** Pinned: a change to the machine or the model that alters the paths must be looked at. */
const TRAVEL_PATHS = 5820;

describe('compensation paths of the registered travel definition (a step graph with a pivot)', () => {
  it(`xstate/graph generates ${TRAVEL_PATHS} compensation paths`, () => {
    expect(isFlowDefinition(travel)).toBe(true);
    console.log(`travel: ${paths.length} compensation paths`);
    expect(paths).toHaveLength(TRAVEL_PATHS);
  });

  it('they end COMPENSATED or FAILED, both ways', () => {
    const ends = new Set(paths.map((p) => p.state.value));
    expect(ends).toEqual(new Set(['COMPENSATED', 'FAILED']));
  });

  describe('per path and coverage', () => {
    it.each(paths.map((p) => [p.description, p] as const))('%s', (_d, p) => {
      checkCompensationPath(travel, p);
    });

    it('together they take every transition into COMPENSATING, FAILED and COMPENSATED', () => {
      expect(checkCompensationTransitionCoverage(travel, paths)).toEqual([]);
    });
  });
});

describe('npm run paths -- <definition.json>', () => {
  const tsx = path.join(ROOT, 'node_modules/.bin/tsx');
  const run = (...files: string[]) =>
    spawnSync(tsx, ['--tsconfig', 'tsconfig.json', 'scripts/compensation-paths.ts', ...files], {
      cwd: ROOT,
      encoding: 'utf8',
    });
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paths-cli-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  // A sequential definition (the travel example before it had parallel steps): the CLI takes
  // both kinds of definition.
  const sequential = {
    name: 'trip-in-order',
    version: 1,
    participants: {
      flight: { url: 'http://127.0.0.1:4001' },
      hotel: { url: 'http://127.0.0.1:4002' },
    },
    steps: [
      {
        name: 'book_flight',
        participant: 'flight',
        action: 'book',
        compensation: 'cancel',
        timeoutMs: 5000,
        retry: { maxAttempts: 3, backoffMs: 200, maxBackoffMs: 2000 },
      },
      {
        name: 'book_hotel',
        participant: 'hotel',
        action: 'book',
        compensation: 'cancel',
        async: true,
        timeoutMs: 10000,
      },
      { name: 'charge', participant: 'payment', action: 'charge', compensation: 'refund' },
    ],
  };

  it('a good definition: prints the path count and exits 0', () => {
    const file = path.join(dir, 'sequential.json');
    fs.writeFileSync(file, JSON.stringify(sequential));
    const r = run(file);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /'trip-in-order' v1, 3 steps: 111 compensation paths checked .* 23 of 23 transitions/,
    );
  });

  it('the travel example (a step graph with items and a pivot): every path checked, exits 0', () => {
    const r = run(TRAVEL);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `'travel' v1, 6 steps: ${TRAVEL_PATHS} compensation paths checked .* 22 of 22 transitions`,
      ),
    );
  });

  it('a broken definition: says what to fix and exits 1', () => {
    const file = path.join(dir, 'broken.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        name: 'broken',
        steps: [{ name: 'charge', participant: 'payment', action: 'charge' }],
      }),
    );
    const r = run(file);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /steps\.0\.compensation: step 'charge' has no compensation: add `compensation`/,
    );
  });

  it('is what `npm run paths` runs', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts.paths).toBe('tsx --tsconfig tsconfig.json scripts/compensation-paths.ts');
  });
});
