// What statuses and history entries mean, in words (colour is never the only signal).

export const SAGA_STATUSES = [
  'STARTED',
  'EXECUTING',
  'COMPENSATING',
  'COMPLETED',
  'COMPENSATED',
  'FAILED',
];

export const SAGA_STATUS_WORDS = {
  STARTED: 'Started',
  EXECUTING: 'Executing',
  COMPENSATING: 'Compensating',
  COMPLETED: 'Completed',
  COMPENSATED: 'Compensated',
  FAILED: 'Failed — needs a person',
};

export const STEP_STATUS_WORDS = {
  pending: 'not run',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  compensating: 'compensating',
  compensated: 'compensated',
  compensation_failed: 'compensation failed',
};

export const COMPENSATION_STATUS_WORDS = {
  running: 'compensating',
  succeeded: 'compensated',
  failed: 'compensation failed',
};

export const HISTORY_WORDS = {
  SAGA_STARTED: 'Saga started',
  STEP_STARTED: 'Step dispatched',
  STEP_ACCEPTED: 'Step accepted by the participant',
  STEP_SUCCEEDED: 'Step succeeded',
  STEP_FAILED: 'Step attempt failed',
  COMPENSATION_STARTED: 'Compensation dispatched',
  COMPENSATION_ACCEPTED: 'Compensation accepted by the participant',
  COMPENSATION_SUCCEEDED: 'Compensation succeeded',
  COMPENSATION_FAILED: 'Compensation attempt failed',
  CANCEL_REQUESTED: 'Cancel requested',
  DEADLINE_EXCEEDED: 'Deadline exceeded',
  RETRY_REQUESTED: 'Retry requested',
  SAGA_COMPLETED: 'Saga completed',
  SAGA_COMPENSATED: 'Saga compensated',
  SAGA_FAILED: 'Saga failed',
  EVENT_IGNORED: 'Event ignored',
};

/** A history entry's headline: a failure that ends retrying says so. */
export function historyHeadline(e) {
  if (e.type === 'STEP_FAILED' && e.data?.final) return 'Step failed';
  if (e.type === 'COMPENSATION_FAILED' && e.data?.final) return 'Compensation failed';
  return HISTORY_WORDS[e.type] ?? e.type;
}

/** The tone (colour family) of a history entry or status. */
export function historyTone(e) {
  switch (e.type) {
    case 'STEP_SUCCEEDED':
    case 'SAGA_COMPLETED':
      return 'ok';
    case 'STEP_FAILED':
      return e.data?.final ? 'failed' : 'warn';
    case 'COMPENSATION_FAILED':
      return e.data?.final ? 'comp-failed' : 'warn';
    case 'SAGA_FAILED':
      return 'comp-failed';
    case 'STEP_ACCEPTED':
      return 'running';
    case 'COMPENSATION_STARTED':
    case 'COMPENSATION_ACCEPTED':
    case 'COMPENSATION_SUCCEEDED':
    case 'SAGA_COMPENSATED':
      return 'compensated';
    case 'CANCEL_REQUESTED':
    case 'DEADLINE_EXCEEDED':
    case 'EVENT_IGNORED':
      return 'warn';
    default:
      return 'neutral';
  }
}

export function statusTone(status) {
  return (
    {
      STARTED: 'neutral',
      EXECUTING: 'running',
      COMPENSATING: 'compensated',
      COMPLETED: 'ok',
      COMPENSATED: 'compensated',
      FAILED: 'comp-failed',
    }[status] ?? 'neutral'
  );
}
