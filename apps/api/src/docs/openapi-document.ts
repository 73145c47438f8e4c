// The OpenAPI 3.1 document served at /docs-json. Request bodies and the saga list query are
// generated from the zod schemas the routes validate with; responses are written out in
// openapi-schemas.ts.
import {
  DEFINITION_DEFAULTS,
  definitionInputSchemas,
  sagaDefinitionSchema,
} from '@app/saga-machines';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { ZodType } from 'zod';
import { faultSchema } from '../faults/fault-schema';
import { createSagaBodySchema, createSagaBodyWithFaultsSchema } from '../sagas/saga-queries';
import {
  orderInputExample,
  travelDefinitionExample,
  validationErrorExample,
} from './openapi-examples';
import { eventSchemas } from './openapi-events';
import { openApiPaths } from './openapi-paths';
import { responseSchemas, serviceErrorCodeSchema } from './openapi-schemas';
import { zodToJsonSchema, type JsonSchema } from './zod-json-schema';

export interface OpenApiDocumentOptions {
  /** With SAGA_FAULTS=enabled, `POST /api/v1/sagas` also takes `faults`. */
  faultsEnabled: boolean;
  /** The service version shown in `info`. */
  version: string;
}

/** `order` -> `OrderInput`: the component name of a definition's input schema. */
export function inputSchemaName(definition: string): string {
  const pascal = definition.replace(/(^|[^a-zA-Z0-9]+)([a-zA-Z0-9])/g, (_m, _sep, c: string) =>
    c.toUpperCase(),
  );
  return `${pascal}Input`;
}

function errorResponse(description: string, example?: JsonSchema): JsonSchema {
  return {
    description,
    content: {
      'application/json': {
        schema: { $ref: '#/components/schemas/Error' },
        ...(example ? { example } : {}),
      },
    },
  };
}

type ObjectSchema = JsonSchema & {
  properties: Record<string, JsonSchema>;
  required?: string[];
};

/** Marks `names` optional in an object schema, each with its default. */
function withDefaults(schema: ObjectSchema, defaults: Record<string, unknown>): void {
  schema.required = (schema.required ?? []).filter((name) => !(name in defaults));
  for (const [name, value] of Object.entries(defaults)) {
    schema.properties[name] = { ...schema.properties[name], default: value };
  }
}

/**
 * The body of `POST /api/v1/definitions`: the engine's zod schema of a definition (what the
 * service validates with), with the fields the service fills in made optional.
 */
function definitionDocumentSchema(): JsonSchema {
  const doc = zodToJsonSchema(sagaDefinitionSchema) as ObjectSchema;
  withDefaults(doc, {
    description: DEFINITION_DEFAULTS.description,
    deadlineMs: DEFINITION_DEFAULTS.deadlineMs,
  });
  doc.required = doc.required!.filter((name) => name !== 'version');
  const p = doc.properties;
  p.name = { ...p.name, description: 'Not the name of a built-in definition (409).' };
  p.version = {
    ...p.version,
    description:
      'Omitted: the latest version + 1 (1 for a new name); the same document again without a version is that version, not a new one.',
  };
  p.participants = {
    ...p.participants,
    description:
      'HTTP participants by name. Hosts must be allowed by SAGA_PARTICIPANT_HOSTS (loopback only when unset).',
  };
  p.inputSchema = {
    ...p.inputSchema,
    description:
      'A JSON Schema (draft 2020-12) that `POST /api/v1/sagas` checks the input against (400 with `details`).',
  };
  const steps = p.steps as { items: ObjectSchema };
  withDefaults(steps.items, {
    timeoutMs: DEFINITION_DEFAULTS.timeoutMs,
    retry: DEFINITION_DEFAULTS.retry,
  });
  const step = steps.items.properties;
  step.participant = {
    ...step.participant,
    description:
      'A key of `participants`, or a built-in participant (order, inventory, payment, shipping, notification).',
  };
  step.compensationRetry = {
    ...step.compensationRetry,
    description: "The compensation's retry policy; default: `retry`.",
  };
  step.async = {
    ...step.async,
    default: false,
    description:
      "HTTP participants only: the 2xx reply only accepts the work; the step ends when the participant calls the request's `callbackUrl`, within `timeoutMs`.",
  };
  step.compensationAsync = {
    ...step.compensationAsync,
    default: false,
    description: 'Like `async`, for the compensation.',
  };
  return {
    ...doc,
    description:
      'A saga definition document. Steps run in order; each is undone by its compensation, in reverse order, when a later step fails.',
    example: travelDefinitionExample,
  };
}

/** Builds the whole document; pure, so tests can check it without an app. */
export function buildOpenApiDocument(opts: OpenApiDocumentOptions): OpenAPIObject {
  const inputs = Object.entries(definitionInputSchemas as Record<string, ZodType>);
  const inputSchemas = Object.fromEntries(
    inputs.map(([name, schema]) => [
      inputSchemaName(name),
      {
        ...zodToJsonSchema(schema),
        description: `Input of the \`${name}\` saga.`,
        ...(name === 'order' ? { example: orderInputExample } : {}),
      },
    ]),
  );
  const createSaga = zodToJsonSchema(
    opts.faultsEnabled ? createSagaBodyWithFaultsSchema : createSagaBodySchema,
  ) as {
    properties: Record<string, JsonSchema>;
  };
  const inputRefs = inputs.map(([name]) => ({
    $ref: `#/components/schemas/${inputSchemaName(name)}`,
  }));
  createSaga.properties.input = {
    description: "Validated against the definition's input schema (400 with `details` otherwise).",
    ...(inputRefs.length === 1 ? inputRefs[0] : { anyOf: inputRefs }),
  };
  createSaga.properties.version = {
    ...createSaga.properties.version,
    description: 'Default: the latest version.',
  };
  if (createSaga.properties.faults) {
    createSaga.properties.faults = {
      description:
        'Faults for this saga only, written in the same transaction (SAGA_FAULTS=enabled).',
      type: 'array',
      maxItems: 100,
      items: { $ref: '#/components/schemas/FaultRequest' },
    };
  }
  const document = {
    openapi: '3.1.0',
    info: {
      title: 'sagachart',
      version: opts.version,
      description:
        'Sagas as XState statecharts: durable, compensating, visible. Every route under `/api/v1` needs `Authorization: Bearer <key>` (SAGA_API_KEYS), except `/api/v1/callbacks/{token}`, whose token is the credential. Errors are JSON with `statusCode`, `error`, `message` and, on 400, `details`. Timestamps are ISO-8601 UTC; money is integer minor units.',
    },
    tags: [
      { name: 'sagas', description: 'Start, inspect, cancel and retry sagas.' },
      {
        name: 'definitions',
        description: 'The saga definitions and their statecharts; register and retire your own.',
      },
      {
        name: 'callbacks',
        description: 'Async participants report outcomes here (the token is the credential).',
      },
      { name: 'participants', description: "Read-only views of the demo participants' own state." },
      { name: 'faults', description: 'Fault injection (SAGA_FAULTS=enabled).' },
      {
        name: 'events',
        description:
          'Choreography: publish events, subscribe URLs to event types, see deliveries and dead letters.',
      },
      { name: 'operations', description: 'Health, metrics, statistics and the queue dashboard.' },
      { name: 'visualizer', description: 'The browser visualizer at /ui.' },
    ],
    paths: openApiPaths(),
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key from SAGA_API_KEYS (`ro:` keys may only read).',
        },
        basic: {
          type: 'http',
          scheme: 'basic',
          description: 'Only for /queues: the API key as the password, any user name.',
        },
      },
      schemas: {
        CreateSagaRequest: createSaga,
        ...inputSchemas,
        FaultRequest: zodToJsonSchema(faultSchema),
        DefinitionDocument: definitionDocumentSchema(),
        ...responseSchemas,
        ...eventSchemas(),
        ServiceErrorCode: serviceErrorCodeSchema(opts.faultsEnabled),
      },
      responses: {
        BadRequest: errorResponse(
          'Malformed JSON, unknown fields, wrong types, out-of-range values or a malformed id.',
          validationErrorExample,
        ),
        Unauthorized: errorResponse('Missing or wrong API key.'),
        Forbidden: errorResponse('A read-only API key on a write.'),
        NotFound: errorResponse('Unknown id, definition, SKU, participant or callback token.'),
        Conflict: errorResponse(
          'A state conflict, or an Idempotency-Key reused with a different body.',
        ),
        PayloadTooLarge: errorResponse('A body over 1 MiB.'),
        TooManyRequests: errorResponse(
          'Over the per-key rate limit (only when SAGA_RATE_LIMIT_PER_MINUTE is set).',
        ),
      },
    },
  };
  return document as unknown as OpenAPIObject;
}
