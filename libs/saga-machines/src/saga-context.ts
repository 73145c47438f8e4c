import type { StepError } from './saga-events';

/** The six top-level statechart states, which are also the saga statuses of the API. */
export const SAGA_STATUSES = [
  'STARTED',
  'EXECUTING',
  'COMPENSATING',
  'COMPLETED',
  'FAILED',
  'COMPENSATED',
] as const;

export type SagaStatus = (typeof SAGA_STATUSES)[number];

export const FINAL_STATUSES: readonly SagaStatus[] = ['COMPLETED', 'FAILED', 'COMPENSATED'];

/** A step's status as the API shows it. */
export type StepStatus =
  | 'pending'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'compensating'
  | 'compensated'
  | 'compensation_failed';

export interface CompensationRecord {
  status: 'running' | 'succeeded' | 'failed';
  /** Attempts of the current round (a RETRY from FAILED starts a fresh round at 0). */
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  output: unknown;
  error: StepError | null;
}

/** One item of a `forEach` step: its own invocation, outcome and compensation. */
export interface ItemRecord {
  /** Position in the input array (0-based); part of the item's idempotency key. */
  index: number;
  status: StepStatus;
  /** Attempts of the current round. */
  attempts: number;
  output: unknown;
  error: StepError | null;
  /** null until the item's compensation is first dispatched. */
  compensation: CompensationRecord | null;
}

export interface StepRecord {
  name: string;
  status: StepStatus;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  output: unknown;
  error: StepError | null;
  /** null until the compensation is first dispatched. */
  compensation: CompensationRecord | null;
  /** `forEach` steps only: one record per item, from the step's start on. */
  items?: ItemRecord[];
}

/** The saga's error: what made it compensate (or, when FAILED, the compensation that failed). */
export interface SagaError {
  step: string | null;
  code: string;
  message: string;
}

/** The machine's context: everything the API shows about a saga is derived from it. */
export interface SagaContext {
  sagaId: string;
  definition: string;
  definitionVersion: number;
  input: unknown;
  steps: StepRecord[];
  /** Why the saga compensates (first failure or cancel); replaced by the compensation error when FAILED. */
  error: SagaError | null;
  /** The compensation error while FAILED (kept apart so that `error` keeps the original cause). */
  compensationError: SagaError | null;
  requiresManualIntervention: boolean;
  /** Set by CANCEL; a step in flight at that moment is awaited, then compensated if it succeeded. */
  cancel: { reason: 'requested' | 'deadline'; at: string } | null;
  /** How many times RETRY was accepted: part of job ids so a retried compensation is a fresh job. */
  retryRound: number;
  createdAt: string;
  deadlineAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

/** What the machine is created with (the saga's identity and input). */
export interface SagaMachineInput {
  sagaId: string;
  input: unknown;
  /** ISO time of creation; `deadlineAt` = createdAt + definition.deadlineMs. */
  createdAt: string;
}
