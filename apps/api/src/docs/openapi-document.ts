// The OpenAPI 3.1 document served at /docs-json. Request bodies and the saga list query are
// generated from the zod schemas the routes validate with; responses are written out in
// openapi-schemas.ts.
import { definitionInputSchemas } from '@app/saga-machines';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { ZodType } from 'zod';
import { faultSchema } from '../faults/fault-schema';
import { createSagaBodySchema, createSagaBodyWithFaultsSchema } from '../sagas/saga-queries';
import { orderInputExample, validationErrorExample } from './openapi-examples';
import { openApiPaths } from './openapi-paths';
import { responseSchemas } from './openapi-schemas';
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
        'Sagas as XState statecharts: durable, compensating, visible. Every route under `/api/v1` needs `Authorization: Bearer <key>` (SAGA_API_KEYS). Errors are JSON with `statusCode`, `error`, `message` and, on 400, `details`. Timestamps are ISO-8601 UTC; money is integer minor units.',
    },
    tags: [
      { name: 'sagas', description: 'Start, inspect, cancel and retry sagas.' },
      { name: 'definitions', description: 'The saga definitions and their statecharts.' },
      { name: 'participants', description: "Read-only views of the demo participants' own state." },
      { name: 'faults', description: 'Fault injection (SAGA_FAULTS=enabled).' },
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
        ...responseSchemas,
      },
      responses: {
        BadRequest: errorResponse(
          'Malformed JSON, unknown fields, wrong types, out-of-range values or a malformed id.',
          validationErrorExample,
        ),
        Unauthorized: errorResponse('Missing or wrong API key.'),
        Forbidden: errorResponse('A read-only API key on a write.'),
        NotFound: errorResponse('Unknown id, definition, SKU or participant.'),
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
