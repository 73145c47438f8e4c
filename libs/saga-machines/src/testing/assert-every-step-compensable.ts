import type { SagaDefinition } from '../saga-definition';
import { validateSagaDefinition } from '../validate-saga-definition';
import { CompensationInvariantError } from './check-compensation-path';

/**
 * Asserts that `definition` is valid and that every step names a participant, an action and a
 * compensation distinct from its action (a compensation that repeats the action undoes nothing).
 *
 * @throws {@link SagaDefinitionError} or {@link CompensationInvariantError}.
 */
export function assertEveryStepCompensable(definition: SagaDefinition): void {
  validateSagaDefinition(definition);
  const bad = definition.steps.filter((step) => step.compensation === step.action);
  if (bad.length > 0) {
    throw new CompensationInvariantError(
      bad
        .map(
          (step) =>
            `Step '${step.name}' uses '${step.action}' as its own compensation: name the operation that undoes it.`,
        )
        .join('\n'),
    );
  }
}
