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

/**
 * Step error codes the service assigns itself, whatever its configuration: a participant's own
 * code (`{ "code" }` in an HTTP participant's error reply, or a built-in participant's) is kept
 * as is; these are for what only the service sees. `HTTP_<status>` is a pattern, not listed.
 */
export const SERVICE_STEP_ERROR_CODES: Record<string, string> = {
  TIMEOUT:
    'Retryable. The attempt ran past `timeoutMs`; for an async step, no callback came within `timeoutMs`.',
  PARTICIPANT_UNREACHABLE:
    'Retryable. The HTTP participant refused or reset the connection, or its host did not resolve.',
  PARTICIPANT_ERROR:
    'Retryable. The call failed in another way before the participant answered (or a built-in participant threw an unexpected error).',
  PARTICIPANT_REDIRECT:
    'Not retried. The HTTP participant answered 3xx; redirects are not followed: register its real URL.',
  PARTICIPANT_REPLY_TOO_LARGE: 'Not retried. The HTTP participant answered more than 1 MiB.',
  PARTICIPANT_BAD_REPLY: 'Not retried. A 2xx reply whose body is neither JSON nor empty.',
  PARTICIPANT_HOST_NOT_ALLOWED:
    'Not retried. The participant host is not (or no longer) in SAGA_PARTICIPANT_HOSTS (loopback only when unset).',
};

/** Codes of a saga's own `error` (no step): why it compensated without a failed step. */
export const SAGA_ERROR_CODES: Record<string, string> = {
  DEADLINE_EXCEEDED: 'The saga passed `deadlineMs` and was cancelled.',
  CANCELLED: 'The saga was cancelled on request (`POST /sagas/:id/cancel`).',
};

/** Step error codes that exist only with SAGA_FAULTS=enabled. */
export const FAULT_STEP_ERROR_CODES: Record<string, string> = {
  INJECTED_FAULT: 'Not retried. An injected `fail` fault (SAGA_FAULTS=enabled).',
  INJECTED_TRANSIENT_FAULT: 'Retryable. An injected `transient` fault (SAGA_FAULTS=enabled).',
};

function codeTable(codes: Record<string, string>): string {
  return Object.entries(codes)
    .map(([code, meaning]) => `- \`${code}\`: ${meaning}`)
    .join('\n');
}

/** `components.schemas.ServiceErrorCode`: depends on whether fault injection is on. */
export function serviceErrorCodeSchema(faultsEnabled: boolean): JsonSchema {
  const codes = {
    ...SERVICE_STEP_ERROR_CODES,
    ...SAGA_ERROR_CODES,
    ...(faultsEnabled ? FAULT_STEP_ERROR_CODES : {}),
  };
  return {
    type: 'string',
    enum: Object.keys(codes),
    description: `Error codes the service assigns itself (a participant's own codes, such as \`CARD_DECLINED\`, are passed through unchanged, and an HTTP error reply without a JSON \`code\` becomes \`HTTP_<status>\`):\n\n${codeTable(codes)}`,
  };
}

const errorCode: JsonSchema = {
  type: 'string',
  description:
    "The participant's own code, `HTTP_<status>` for an HTTP error reply without one, or one of `ServiceErrorCode`.",
  examples: ['ADDRESS_NOT_SERVICEABLE', 'HTTP_503', 'TIMEOUT', 'PARTICIPANT_UNREACHABLE'],
};

const stepError = nullable(
  object({ code: errorCode, message: { type: 'string' }, retryable: { type: 'boolean' } }),
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
  Step: object(
    {
      name: { type: 'string', example: 'validate_order' },
      status: { type: 'string', enum: STEP_STATUS_VALUES },
      attempts: { type: 'integer', minimum: 0 },
      startedAt: nullableTimestamp,
      finishedAt: nullableTimestamp,
      output: { description: "The participant's result, or null." },
      error: stepError,
      compensation: nullable(ref('Compensation')),
      items: {
        type: 'array',
        description: 'forEach steps only: one entry per item, from the step start on.',
        items: {
          type: 'object',
          properties: {
            index: { type: 'integer', minimum: 0 },
            status: { type: 'string', enum: STEP_STATUS_VALUES },
            attempts: { type: 'integer', minimum: 0 },
            output: {},
            error: stepError,
            compensation: {
              type: ['object', 'null'],
              properties: { status: { type: 'string' }, attempts: { type: 'integer' } },
            },
          },
        },
      },
    },
    {
      required: [
        'name',
        'status',
        'attempts',
        'startedAt',
        'finishedAt',
        'output',
        'error',
        'compensation',
      ],
    },
  ),
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
        code: { ...errorCode, example: 'ADDRESS_NOT_SERVICEABLE' },
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
    type: {
      type: 'string',
      example: 'STEP_SUCCEEDED',
      description:
        '`SAGA_STARTED`, `STEP_STARTED`, `STEP_ACCEPTED`, `STEP_SUCCEEDED`, `STEP_FAILED`, `COMPENSATION_STARTED`, `COMPENSATION_ACCEPTED`, `COMPENSATION_SUCCEEDED`, `COMPENSATION_FAILED`, `CANCEL_REQUESTED`, `DEADLINE_EXCEEDED`, `RETRY_REQUESTED`, `SAGA_COMPLETED`, `SAGA_COMPENSATED`, `SAGA_FAILED`, `EVENT_IGNORED`. `STEP_ACCEPTED` / `COMPENSATION_ACCEPTED`: an async participant accepted the attempt; its outcome comes by callback, at the latest by `data.awaitingCallbackUntil` (then `TIMEOUT`).',
    },
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
        regions: {
          type: ['object', 'null'],
          additionalProperties: { type: 'string' },
          description:
            "A flow definition in EXECUTING or COMPENSATING: each step region's state (`state` lists only the running ones); else null.",
        },
        steps: {
          type: 'array',
          items: { type: 'object' },
          description:
            'Each step: name, status, attempts, compensation; forEach steps add `items`.',
        },
        error: { type: ['object', 'null'] },
      }),
    },
  }),
  DefinitionStep: object(
    {
      name: { type: 'string' },
      participant: {
        type: 'string',
        description: "A key of the definition's `participants` (HTTP), or a built-in participant.",
      },
      action: { type: 'string' },
      compensation: {
        type: ['string', 'null'],
        description: 'null for the pivot and the steps after it.',
      },
      timeoutMs: { type: 'integer' },
      retry: retryPolicy,
      compensationRetry: retryPolicy,
      async: {
        type: 'boolean',
        description:
          'The action ends by callback (`POST /api/v1/callbacks/{token}`), not by its reply.',
      },
      compensationAsync: {
        type: 'boolean',
        description: 'The compensation ends by callback, not by its reply.',
      },
      dependsOn: {
        type: 'array',
        items: { type: 'string' },
        description:
          'Steps that must have succeeded first; steps whose dependencies are met run in parallel.',
      },
      forEach: { type: 'string', description: 'JSON Pointer to an array of 1–1000 input items.' },
      concurrency: { type: 'integer', minimum: 1, description: 'forEach items run at once.' },
      pivot: { type: 'boolean', description: 'The point of no return.' },
    },
    {
      required: [
        'name',
        'participant',
        'action',
        'compensation',
        'timeoutMs',
        'retry',
        'compensationRetry',
        'async',
        'compensationAsync',
      ],
    },
  ),
  HttpParticipant: object({
    url: {
      type: 'string',
      format: 'uri',
      description: 'Each attempt is `POST <url>/<operation>`.',
      example: 'http://127.0.0.1:4001',
    },
  }),
  Definition: {
    ...object({
      name: { type: 'string', example: 'order' },
      version: { type: 'integer', example: 1 },
      description: { type: 'string' },
      deadlineMs: { type: 'integer' },
      source: {
        type: 'string',
        enum: ['built-in', 'registered'],
        description: 'Built into the service, or registered with `POST /api/v1/definitions`.',
      },
      registeredAt: { ...nullableTimestamp, description: 'Null for a built-in definition.' },
      retiredAt: {
        ...nullableTimestamp,
        description: 'When this version was retired (no new sagas); null while it is current.',
      },
      participants: {
        type: 'object',
        additionalProperties: ref('HttpParticipant'),
        description: 'The HTTP participants by name (only when the definition has some).',
      },
      inputSchema: {
        type: 'object',
        description:
          'The JSON Schema (2020-12) `POST /api/v1/sagas` checks the input against (only when given).',
      },
      steps: { type: 'array', items: ref('DefinitionStep') },
    }),
    required: [
      'name',
      'version',
      'description',
      'deadlineMs',
      'source',
      'registeredAt',
      'retiredAt',
      'steps',
    ],
  },
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
  DefinitionRegistration: {
    allOf: [
      ref('DefinitionWithMachine'),
      object({
        warnings: {
          type: 'array',
          description: 'What works but probably not as meant, each with the fix.',
          items: object({
            path: { type: 'string', example: 'participants' },
            message: { type: 'string' },
          }),
        },
        inFlight: {
          type: 'object',
          additionalProperties: { type: 'integer', minimum: 0 },
          description: 'Sagas not final yet on each older version (they keep their version).',
          example: { '1': 3 },
        },
      }),
    ],
  },
  CallbackRequest: {
    description:
      'What an async participant reports. The same callback again is answered 200 and changes nothing.',
    oneOf: [
      {
        type: 'object',
        title: 'succeeded',
        required: ['status'],
        additionalProperties: false,
        properties: {
          status: { const: 'succeeded' },
          output: { description: "The step's output (default null)." },
        },
      },
      {
        type: 'object',
        title: 'failed',
        required: ['status', 'error'],
        additionalProperties: false,
        properties: {
          status: { const: 'failed' },
          error: {
            type: 'object',
            required: ['code'],
            additionalProperties: false,
            properties: {
              code: { type: 'string', minLength: 1, maxLength: 200 },
              message: { type: 'string', maxLength: 2000 },
            },
          },
          retryable: {
            type: 'boolean',
            default: false,
            description: "True: another attempt runs, under the step's retry policy.",
          },
        },
      },
    ],
  },
  CallbackReceipt: object({
    accepted: { type: 'boolean', description: 'True when this callback moved the saga (202).' },
    duplicate: { type: 'boolean', description: 'True when it was received before (200).' },
    sagaId: { type: 'string', format: 'uuid' },
    step: { type: 'string' },
  }),
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
