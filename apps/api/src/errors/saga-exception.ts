// Domain errors carry a code; the HTTP edge maps codes to status codes (STYLE.md #10), so
// services and workers can throw the same errors.

export type SagaExceptionCode =
  | 'SAGA_NOT_FOUND'
  | 'DEFINITION_NOT_FOUND'
  | 'FAULT_NOT_FOUND'
  | 'PARTICIPANT_NOT_FOUND'
  | 'STOCK_NOT_FOUND'
  | 'CALLBACK_NOT_FOUND'
  | 'EVENT_NOT_FOUND'
  | 'SUBSCRIPTION_NOT_FOUND'
  | 'DELIVERY_NOT_FOUND'
  | 'INVALID_REQUEST'
  | 'STATE_CONFLICT'
  | 'IDEMPOTENCY_CONFLICT';

export interface ErrorDetail {
  path: string;
  message: string;
}

export class SagaException extends Error {
  override readonly name = 'SagaException';
  constructor(
    readonly code: SagaExceptionCode,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
  }
}

export const HTTP_STATUS_BY_CODE: Record<SagaExceptionCode, number> = {
  SAGA_NOT_FOUND: 404,
  DEFINITION_NOT_FOUND: 404,
  FAULT_NOT_FOUND: 404,
  PARTICIPANT_NOT_FOUND: 404,
  STOCK_NOT_FOUND: 404,
  CALLBACK_NOT_FOUND: 404,
  EVENT_NOT_FOUND: 404,
  SUBSCRIPTION_NOT_FOUND: 404,
  DELIVERY_NOT_FOUND: 404,
  INVALID_REQUEST: 400,
  STATE_CONFLICT: 409,
  IDEMPOTENCY_CONFLICT: 409,
};
