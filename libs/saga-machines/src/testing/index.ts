// The compensation testing kit (`@app/saga-machines/testing`): model-based checks for any saga
// definition, built on xstate/graph. Test-only: nothing in the runtime imports it.
export { assertEveryStepCompensable } from './assert-every-step-compensable';
export { CompensationInvariantError, checkCompensationPath } from './check-compensation-path';
export type { CompensationPathResult } from './check-compensation-path';
export {
  DEFAULT_MODEL_AT,
  compensationModelEvents,
  isCompensationOutcome,
  serializeCompensationState,
} from './compensation-model';
export type { CompensationModelOptions } from './compensation-model';
export { compensationModelInput, modelItemCount } from './compensation-model-input';
export { CompensationLedger, invocationKey } from './compensation-ledger';
export type { InvocationKey } from './compensation-ledger';
export {
  checkCompensationTransitionCoverage,
  compensationTransitions,
  transitionsTaken,
} from './compensation-transition-coverage';
export { generateCompensationPaths } from './generate-compensation-paths';
export type { CompensationPath, SagaMachineSnapshot } from './generate-compensation-paths';
export { runCompensationPaths } from './run-compensation-paths';
export type { CompensationRunSummary } from './run-compensation-paths';
export {
  checkActionIdempotent,
  checkCompensationIdempotent,
  checkCompensationRestores,
  firstDifference,
  ParticipantCheckError,
  type ActionCompensationPair,
  type CompensationResidue,
  type IdempotencyCheckResult,
  type ParticipantProbe,
  type RestoreCheckResult,
} from './participant-checks';
