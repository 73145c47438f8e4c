// Response shapes of API.md. The services build these with plain functions (no DTO classes),
// so they are written out here; request shapes come from zod (see openapi-document.ts).
import { SAGA_STATUSES } from '@app/saga-machines';
import type { JsonSchema } from './zod-json-schema';

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const nullable = (schema: JsonSchema): JsonSchema => ({ anyOf: [schema, { type: 'null' }] });
const timestamp: JsonSchema = { type: 'string', format: 'date-time' };
const nullableTimestamp: JsonSchema = { type: ['string', 'null'], format: 'date-time' };
const object = (properties: Record<string, JsonSchema>, extra: JsonSchema = {}): JsonSchema => ({
  type: 'object',
  properties,
  required: Object.keys(properties),
  ...extra,
});

const STEP_STATUS_VALUES = [
  'pending',
  'running',
  'succeeded',
  'failed',
  'compensating',
  'compensated',
  'compensation_failed',
];

const stepError = nullable(
  object({ code: { type: 'string' }, message: { type: 'string' }, retryable: { type: 'boolean' } }),
);

const retryPolicy = object({
  maxAttempts: { type: 'integer', minimum: 1 },
  backoffMs: { type: 'integer', minimum: 0 },
  maxBackoffMs: { type: 'integer', minimum: 0 },
});

/** `components.schemas` except the zod-generated request schemas. */
export const responseSchemas: Record<string, JsonSchema> = {
  Error: {
    type: 'object',
    required: ['statusCode', 'error', 'message'],
    properties: {
      statusCode: { type: 'integer', example: 400 },
      error: { type: 'string', example: 'Bad Request' },
      message: { type: 'string' },
      details: {
        type: 'array',
        description: 'Present on 400: one entry per invalid value.',
        items: object({
          path: { type: 'string', example: 'input.items.0.quantity' },
          message: { type: 'string' },
        }),
      },
    },
  },
  SagaStatus: { type: 'string', enum: [...SAGA_STATUSES] },
  Compensation: object({
    status: { type: 'string', enum: ['pending', 'running', 'succeeded', 'failed'] },
    attempts: { type: 'integer', minimum: 0 },
    startedAt: nullableTimestamp,
    finishedAt: nullableTimestamp,
    output: {},
    error: stepError,
  }),
  Step: object({
    name: { type: 'string', example: 'validate_order' },
    status: { type: 'string', enum: STEP_STATUS_VALUES },
    attempts: { type: 'integer', minimum: 0 },
    startedAt: nullableTimestamp,
    finishedAt: nullableTimestamp,
    output: { description: "The participant's result, or null." },
    error: stepError,
    compensation: nullable(ref('Compensation')),
  }),
  Saga: object({
    id: { type: 'string', format: 'uuid' },
    definition: { type: 'string', example: 'order' },
    definitionVersion: { type: 'integer', example: 1 },
    status: ref('SagaStatus'),
    state: {
      type: 'string',
      description: 'The statechart state as a dotted path.',
      example: 'EXECUTING.process_payment',
    },
    input: { description: "The input as given, valid for the definition's input schema." },
    output: {},
    steps: { type: 'array', items: ref('Step') },
    error: nullable(
      object({
        step: { type: ['string', 'null'] },
        code: { type: 'string', example: 'ADDRESS_NOT_SERVICEABLE' },
        message: { type: 'string' },
      }),
    ),
    requiresManualIntervention: {
      type: 'boolean',
      description: 'True for FAILED: a compensation could not be completed.',
    },
    cancel: { description: 'Set once a cancel was requested or the deadline passed.' },
    deadlineAt: nullableTimestamp,
    createdAt: timestamp,
    updatedAt: timestamp,
    finishedAt: nullableTimestamp,
  }),
  SagaPage: object({
    items: { type: 'array', items: ref('Saga') },
    nextCursor: {
      type: ['string', 'null'],
      description: 'Pass as `cursor` for the next page; null on the last.',
    },
  }),
  SagaEvent: object({
    seq: { type: 'integer', minimum: 1 },
    at: timestamp,
    type: { type: 'string', example: 'STEP_SUCCEEDED' },
    step: { type: ['string', 'null'] },
    attempt: { type: ['integer', 'null'] },
    data: { type: 'object' },
  }),
  SagaStates: object({
    sagaId: { type: 'string', format: 'uuid' },
    storedState: { type: 'string' },
    replayedState: { type: 'string' },
    consistent: {
      type: 'boolean',
      description: 'Whether replaying the history gives the stored state.',
    },
    states: {
      type: 'array',
      items: object({
        seq: { type: 'integer' },
        type: { type: 'string' },
        eventType: { type: ['string', 'null'] },
        ignored: { type: 'boolean' },
        state: { type: 'string' },
        status: ref('SagaStatus'),
        steps: { type: 'array', items: { type: 'object' } },
        error: { type: ['object', 'null'] },
      }),
    },
  }),
  DefinitionStep: object({
    name: { type: 'string' },
    participant: { type: 'string' },
    action: { type: 'string' },
    compensation: { type: 'string' },
    timeoutMs: { type: 'integer' },
    retry: retryPolicy,
    compensationRetry: retryPolicy,
  }),
  Definition: object({
    name: { type: 'string', example: 'order' },
    version: { type: 'integer', example: 1 },
    description: { type: 'string' },
    deadlineMs: { type: 'integer' },
    steps: { type: 'array', items: ref('DefinitionStep') },
  }),
  DefinitionWithMachine: {
    allOf: [
      ref('Definition'),
      object({
        machine: object(
          {
            nodes: { type: 'array', items: { type: 'object' } },
            edges: { type: 'array', items: { type: 'object' } },
          },
          { description: 'The statechart as a graph: every state and transition.' },
        ),
      }),
    ],
  },
  Stock: object({
    sku: { type: 'string', example: 'IPHONE-15' },
    available: { type: 'integer' },
    reserved: { type: 'integer' },
  }),
  ParticipantRecord: object({
    kind: { type: 'string', example: 'reservation' },
    status: { type: 'string' },
    idempotencyKey: { type: 'string' },
    at: timestamp,
    data: {},
  }),
  Ledger: object({
    chargedCents: { type: 'integer' },
    refundedCents: { type: 'integer' },
    feeCents: { type: 'integer' },
  }),
  Fault: object({
    id: { type: 'string', format: 'uuid' },
    participant: { type: 'string' },
    action: { type: 'string' },
    mode: { type: 'string', enum: ['fail', 'transient', 'timeout', 'delay'] },
    times: { type: 'integer' },
    remaining: { type: 'integer' },
    sagaId: { type: ['string', 'null'], format: 'uuid' },
    delayMs: { type: ['integer', 'null'] },
    createdAt: timestamp,
  }),
  Deleted: object({ deleted: { type: 'integer', minimum: 0 } }),
  Stats: object({
    window: { type: 'string', example: '1h' },
    started: { type: 'integer' },
    completed: { type: 'integer' },
    compensated: { type: 'integer' },
    failed: { type: 'integer' },
    active: { type: 'integer' },
    finished: {
      type: 'integer',
      description: 'completed + compensated + failed: the denominator of the rates.',
    },
    successRate: { type: 'number', minimum: 0, maximum: 1 },
    compensationRate: { type: 'number', minimum: 0, maximum: 1 },
    failureRate: { type: 'number', minimum: 0, maximum: 1 },
    averageDurationMs: { type: ['number', 'null'] },
    p95DurationMs: { type: ['number', 'null'] },
    stepFailures: { type: 'object', additionalProperties: { type: 'integer' } },
    stuck: { type: 'integer' },
    alerts: {
      type: 'array',
      items: object({
        name: { type: 'string', example: 'SagaHighFailureRate' },
        severity: { type: 'string', enum: ['warning', 'critical'] },
        message: { type: 'string' },
        value: { type: 'number' },
        threshold: { type: 'number' },
      }),
    },
  }),
  Health: object({
    status: { type: 'string', enum: ['ok', 'error'] },
    checks: {
      type: 'object',
      additionalProperties: { type: 'string', enum: ['up', 'down'] },
      example: { database: 'up', queue: 'up' },
    },
  }),
};
