// The public surface of the pure saga engine: definitions -> XState machines -> pure steps.
export type {
  HttpParticipantDefinition,
  RetryPolicy,
  SagaDefinition,
  SagaStepDefinition,
} from './saga-definition';
export type {
  CancelEvent,
  CompensationAttemptFailedEvent,
  CompensationFailedEvent,
  CompensationSucceededEvent,
  RetryEvent,
  SagaEvent,
  SagaEventType,
  StartEvent,
  StepAttemptFailedEvent,
  StepError,
  StepFailedEvent,
  StepSucceededEvent,
} from './saga-events';
export { FINAL_STATUSES, SAGA_STATUSES } from './saga-context';
export type {
  CompensationRecord,
  ItemRecord,
  SagaContext,
  SagaError,
  SagaMachineInput,
  SagaStatus,
  StepRecord,
  StepStatus,
} from './saga-context';
export type { SagaCommand } from './saga-command';
export type { HistoryRecord, HistoryType } from './saga-history';

export {
  DEFINITION_NAME_PATTERN,
  PARTICIPANT_NAME_PATTERN,
  httpParticipantSchema,
  JSON_POINTER_PATTERN,
  MAX_DURATION_MS,
  MAX_ITEMS,
  MAX_STEPS,
  RESERVED_STEP_NAMES,
  STEP_NAME_PATTERN,
  retryPolicySchema,
  sagaDefinitionSchema,
  sagaStepDefinitionSchema,
} from './saga-definition-schema';
export { SagaDefinitionError } from './saga-definition-error';
export type { SagaDefinitionIssue } from './saga-definition-error';
export { validateSagaDefinition } from './validate-saga-definition';
export {
  DEFINITION_DEFAULTS,
  definitionFromDocument,
  withDefinitionDefaults,
} from './definition-document';
export { sagaEventSchema } from './saga-event-schema';

export { orderDefinition, orderInputSchema } from './order-definition';
export type { OrderInput } from './order-definition';
export { builtInDefinitions, definitionInputSchemas } from './built-in-definitions';

export { AWAITING_IN_FLIGHT_STEP, SAGA_MACHINE_ID, createSagaMachine } from './create-saga-machine';
export type { SagaMachine } from './create-saga-machine';
export type { PersistedSagaSnapshot, SagaStateValue } from './persisted-saga-snapshot';
export { applySagaEvent, initialSagaSnapshot, replaySaga, startSaga } from './saga-step';
export type { SagaStepResult } from './saga-step';
export { pendingCommands, sagaCommand } from './saga-commands';
export {
  attemptFailedEvent,
  attemptSucceededEvent,
  countedAttempts,
  isFinalFailure,
} from './attempt-events';
export { sagaView } from './saga-view';
export type { SagaView } from './saga-view';
export { isFinalStatus } from './is-final-status';
export { sagaStatePath } from './saga-state-path';
export { sagaMachineGraph } from './saga-machine-graph';
export type { SagaGraphEdge, SagaGraphNode, SagaMachineGraph } from './saga-machine-graph';
export { isFlowDefinition, stepGraph } from './step-graph';
export type { StepGraph } from './step-graph';
export { forEachInputIssues, forEachItems, resolveJsonPointer } from './json-pointer';
export { FLOW_STEP_STATES, FLOW_UNDO_STATES } from './create-flow-machine';
