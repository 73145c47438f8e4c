import type { SagaDefinition } from '../saga-definition';
import type { SagaGraphEdge } from '../saga-machine-graph';
import { assertEveryStepCompensable } from './assert-every-step-compensable';
import { checkCompensationPath, CompensationInvariantError } from './check-compensation-path';
import type { CompensationModelOptions } from './compensation-model';
import {
  checkCompensationTransitionCoverage,
  compensationTransitions,
} from './compensation-transition-coverage';
import { generateCompensationPaths } from './generate-compensation-paths';

/** The outcome of {@link runCompensationPaths}. */
export interface CompensationRunSummary {
  paths: number;
  outcomes: { COMPENSATED: number; FAILED: number };
  /** Compensation transitions of the machine, and how many the paths took. */
  transitionsTotal: number;
  transitionsCovered: number;
  uncovered: SagaGraphEdge[];
}

/**
 * The whole kit in one call: checks the definition, generates every compensation path, checks
 * each one and that together they take every transition into compensation.
 *
 * @throws {@link CompensationInvariantError} (or SagaDefinitionError) on the first problem.
 */
export function runCompensationPaths(
  definition: SagaDefinition,
  options?: CompensationModelOptions,
): CompensationRunSummary {
  assertEveryStepCompensable(definition);
  const paths = generateCompensationPaths(definition, options);
  const outcomes = { COMPENSATED: 0, FAILED: 0 };
  for (const path of paths) {
    const { status } = checkCompensationPath(definition, path);
    outcomes[status as keyof typeof outcomes] += 1;
  }
  const uncovered = checkCompensationTransitionCoverage(definition, paths);
  const total = compensationTransitions(definition).length;
  if (uncovered.length > 0) {
    throw new CompensationInvariantError(
      `No path takes: ${uncovered.map((e) => `${e.source} --${e.label}--> ${e.target}`).join('; ')}`,
    );
  }
  return {
    paths: paths.length,
    outcomes,
    transitionsTotal: total,
    transitionsCovered: total - uncovered.length,
    uncovered,
  };
}
