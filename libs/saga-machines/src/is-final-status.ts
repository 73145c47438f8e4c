import { FINAL_STATUSES, type SagaStatus } from './saga-context';

/** Whether a saga with this status is done: COMPLETED, COMPENSATED, or FAILED (awaiting a person). */
export function isFinalStatus(status: SagaStatus): boolean {
  return FINAL_STATUSES.includes(status);
}
