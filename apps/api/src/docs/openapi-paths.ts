// The routes of API.md as OpenAPI path items. test/docs/openapi.test.ts checks this list
// against the routes the Express app really serves, both ways.
import { demoParticipantNames } from '@app/participants';
import { SAGA_STATUSES } from '@app/saga-machines';
import { listSagasQuerySchema } from '../sagas/saga-queries';
import {
  callbackExamples,
  compensatedSagaExample,
  createSagaExamples,
  definitionLintErrorExample,
  eventsExample,
  faultExample,
  travelDefinitionExample,
} from './openapi-examples';
import { eventRoutes } from './openapi-events';
import { zodQueryParameters, type JsonSchema } from './zod-json-schema';

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const error = (name: string): JsonSchema => ({ $ref: `#/components/responses/${name}` });
const json = (schema: JsonSchema, extra: JsonSchema = {}) => ({
  content: { 'application/json': { schema, ...extra } },
});
const ok = (description: string, schema: JsonSchema, extra: JsonSchema = {}) => ({
  description,
  ...json(schema, extra),
});
const pathParam = (name: string, description: string, schema: JsonSchema = { type: 'string' }) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema,
});
const sagaId = pathParam('id', 'The saga id (a UUID; anything else: 400).', {
  type: 'string',
  format: 'uuid',
});
const sagaIdQuery = {
  name: 'sagaId',
  in: 'query',
  required: true,
  schema: { type: 'string', format: 'uuid' },
};

interface Operation {
  tag: string;
  operationId: string;
  summary: string;
  description?: string;
  parameters?: JsonSchema[];
  requestBody?: JsonSchema;
  responses: Record<string, JsonSchema>;
}

/** A route under /api/v1: API key, 401, 429 (when rate-limited), 403 for read-only writes. */
function api(op: Operation, write = false): JsonSchema {
  const { tag, ...rest } = op;
  return {
    ...rest,
    tags: [tag],
    security: [{ bearer: [] }],
    responses: {
      ...op.responses,
      '401': error('Unauthorized'),
      ...(write ? { '403': error('Forbidden') } : {}),
      '429': error('TooManyRequests'),
    },
  };
}

/** A documented error response with a route-specific description. */
const errorSaying = (description: string): JsonSchema => ({
  description,
  content: { 'application/json': { schema: ref('Error') } },
});

/** A route that needs no key. */
function open(op: Operation): JsonSchema {
  const { tag, ...rest } = op;
  return { ...rest, tags: [tag], security: [] };
}

const FAULTS_NOTE = 'Only with `SAGA_FAULTS=enabled`; otherwise 404 like any unknown route.';

/** `paths` of the OpenAPI document. */
export function openApiPaths(): Record<string, Record<string, JsonSchema>> {
  const sagaRoutes = {
    '/api/v1/sagas': {
      post: api(
        {
          tag: 'sagas',
          operationId: 'createSaga',
          summary: 'Start a saga',
          description:
            "`input` is validated against the definition's input schema. The same `Idempotency-Key` with the same body returns the saga it created (200) and starts nothing; with a different body: 409.",
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              schema: { type: 'string', maxLength: 200 },
            },
          ],
          requestBody: {
            required: true,
            ...json(ref('CreateSagaRequest'), { examples: createSagaExamples }),
          },
          responses: {
            '201': {
              ...ok('Started.', ref('Saga')),
              headers: {
                Location: { schema: { type: 'string' }, description: '/api/v1/sagas/{id}' },
              },
            },
            '200': ok('Already created with this Idempotency-Key and body.', ref('Saga')),
            '400': error('BadRequest'),
            '404': error('NotFound'),
            '409': error('Conflict'),
            '413': error('PayloadTooLarge'),
          },
        },
        true,
      ),
      get: api({
        tag: 'sagas',
        operationId: 'listSagas',
        summary: 'List sagas, newest first',
        parameters: zodQueryParameters(listSagasQuerySchema, {
          limit: 'Page size, 1 to 200 (default 50).',
          cursor:
            '`nextCursor` of the previous page. Stable: sagas created meanwhile do not shift items.',
        }),
        responses: { '200': ok('A page.', ref('SagaPage')), '400': error('BadRequest') },
      }),
    },
    '/api/v1/sagas/{id}': {
      get: api({
        tag: 'sagas',
        operationId: 'getSaga',
        summary: 'One saga, with its steps',
        parameters: [sagaId],
        responses: {
          '200': ok('The saga.', ref('Saga'), { example: compensatedSagaExample }),
          '400': error('BadRequest'),
          '404': error('NotFound'),
        },
      }),
    },
    '/api/v1/sagas/{id}/events': {
      get: api({
        tag: 'sagas',
        operationId: 'getSagaEvents',
        summary: 'The saga history, oldest first (JSON, or live as SSE)',
        description:
          'With `Accept: text/event-stream` the same entries stream live (`id:` is `seq`, `Last-Event-ID` honoured) until the saga is final.',
        parameters: [
          sagaId,
          {
            name: 'Last-Event-ID',
            in: 'header',
            required: false,
            schema: { type: 'integer', minimum: 0 },
          },
        ],
        responses: {
          '200': {
            description: 'The history.',
            content: {
              'application/json': {
                schema: { type: 'array', items: ref('SagaEvent') },
                example: eventsExample,
              },
              'text/event-stream': { schema: { type: 'string' } },
            },
          },
          '400': error('BadRequest'),
          '404': error('NotFound'),
        },
      }),
    },
    '/api/v1/sagas/{id}/states': {
      get: api({
        tag: 'sagas',
        operationId: 'getSagaStates',
        summary: 'The state after every history entry, replayed (visualizer time travel)',
        parameters: [
          sagaId,
          {
            name: 'at',
            in: 'query',
            required: false,
            schema: { type: 'string', pattern: '^\\d+$' },
            description: 'Only the state after this `seq`.',
          },
        ],
        responses: {
          '200': ok('The replay.', ref('SagaStates')),
          '400': error('BadRequest'),
          '404': error('NotFound'),
        },
      }),
    },
    '/api/v1/sagas/{id}/cancel': {
      post: api(
        {
          tag: 'sagas',
          operationId: 'cancelSaga',
          summary: 'Cancel a STARTED or EXECUTING saga: it compensates what completed',
          parameters: [sagaId],
          responses: {
            '202': ok('Cancelling.', ref('Saga')),
            '400': error('BadRequest'),
            '404': error('NotFound'),
            '409': error('Conflict'),
          },
        },
        true,
      ),
    },
    '/api/v1/sagas/{id}/retry': {
      post: api(
        {
          tag: 'sagas',
          operationId: 'retrySaga',
          summary: 'Retry the failed compensations of a FAILED saga',
          parameters: [sagaId],
          responses: {
            '202': ok('Compensating again.', ref('Saga')),
            '400': error('BadRequest'),
            '404': error('NotFound'),
            '409': error('Conflict'),
          },
        },
        true,
      ),
    },
  };
  const definitionName = pathParam('name', 'Definition name, e.g. `order`.', {
    type: 'string',
    pattern: '^[a-z][a-z0-9_-]{0,62}$',
  });
  const definitionRoutes = {
    '/api/v1/definitions': {
      get: api({
        tag: 'definitions',
        operationId: 'listDefinitions',
        summary: 'Saga definitions, built-in and registered',
        description:
          'Built-in definitions first, then registered ones by name and version, retired versions included (`retiredAt`).',
        responses: {
          '200': ok('Every definition and version.', { type: 'array', items: ref('Definition') }),
        },
      }),
      post: api(
        {
          tag: 'definitions',
          operationId: 'registerDefinition',
          summary: 'Register a definition (a new version of it)',
          description:
            'Linted before it is stored: every problem comes back at once in `details`, each message saying the fix (schema errors, duplicate step names, an unknown participant or operation, a participant host that is not allowed, an `inputSchema` that does not compile, …). Stored in PostgreSQL: every process of the cluster runs it, and sagas keep the version they started on.',
          requestBody: {
            required: true,
            ...json(ref('DefinitionDocument'), { example: travelDefinitionExample }),
          },
          responses: {
            '201': {
              ...ok('Registered.', ref('DefinitionRegistration')),
              headers: {
                Location: {
                  schema: { type: 'string' },
                  description: '/api/v1/definitions/{name}?version={version}',
                },
              },
            },
            '200': ok(
              'The same name and version with identical content was registered before: nothing changed.',
              ref('DefinitionRegistration'),
            ),
            '400': {
              description: 'Not a valid definition: `details` names each problem and its fix.',
              content: {
                'application/json': {
                  schema: ref('Error'),
                  example: definitionLintErrorExample,
                },
              },
            },
            '409': errorSaying(
              'A built-in name, or the same name and version with other content (a registered version never changes).',
            ),
            '413': error('PayloadTooLarge'),
          },
        },
        true,
      ),
    },
    '/api/v1/definitions/{name}': {
      get: api({
        tag: 'definitions',
        operationId: 'getDefinition',
        summary: 'One definition with its statechart',
        parameters: [
          definitionName,
          {
            name: 'version',
            in: 'query',
            required: false,
            schema: { type: 'string', pattern: '^\\d+$' },
            description: 'Default: the latest (a retired one only when every version is retired).',
          },
        ],
        responses: {
          '200': ok('The definition.', ref('DefinitionWithMachine')),
          '400': error('BadRequest'),
          '404': error('NotFound'),
        },
      }),
      delete: api(
        {
          tag: 'definitions',
          operationId: 'retireDefinition',
          summary: 'Retire a version of a registered definition',
          description:
            'New sagas can no longer start on it (409); sagas already on it are not affected. Retired versions stay listed, with `retiredAt`.',
          parameters: [
            definitionName,
            {
              name: 'version',
              in: 'query',
              required: true,
              schema: { type: 'string', pattern: '^\\d+$' },
              description: 'The version to retire (without it: 400).',
            },
          ],
          responses: {
            '200': ok(
              'Retired (a version retired before answers the same, with its first `retiredAt`).',
              ref('Definition'),
            ),
            '400': error('BadRequest'),
            '404': error('NotFound'),
            '409': errorSaying(
              'A built-in definition, or sagas on this version are not final yet (the message and `details` give the count).',
            ),
          },
        },
        true,
      ),
    },
    '/api/v1/callbacks/{token}': {
      post: open({
        tag: 'callbacks',
        operationId: 'receiveCallback',
        summary: 'An async participant reports the outcome of the work it accepted',
        description:
          "No API key: the token in the URL (the `callbackUrl` of the participant request) is the credential, bound to one saga, step, kind and retry round. The step's `timeoutMs` bounds the wait; a callback after it is too late (409).",
        parameters: [
          pathParam('token', 'From the `callbackUrl` the participant was sent.', {
            type: 'string',
            minLength: 1,
          }),
        ],
        requestBody: {
          required: true,
          ...json(ref('CallbackRequest'), { examples: callbackExamples }),
        },
        responses: {
          '202': ok('Applied: the saga moves on.', ref('CallbackReceipt')),
          '200': ok('The same callback again: nothing changed.', ref('CallbackReceipt')),
          '400': error('BadRequest'),
          '404': errorSaying('An unknown, altered or forged token.'),
          '409': errorSaying(
            'The saga no longer waits for this step (it moved past it: timeout, cancel, another outcome).',
          ),
          '413': error('PayloadTooLarge'),
          '429': errorSaying(
            'Over SAGA_RATE_LIMIT_PER_MINUTE (when set), counted per client address: there is no key.',
          ),
        },
      }),
    },
  };
  const participantRoutes = {
    '/api/v1/participants/inventory/stock/{sku}': {
      get: api({
        tag: 'participants',
        operationId: 'getStock',
        summary: 'Stock of one SKU (inventory participant)',
        parameters: [
          pathParam('sku', 'e.g. `IPHONE-15`.', { type: 'string', minLength: 1, maxLength: 64 }),
        ],
        responses: {
          '200': ok('The stock.', ref('Stock')),
          '400': error('BadRequest'),
          '404': error('NotFound'),
        },
      }),
    },
    '/api/v1/participants/payment/ledger': {
      get: api({
        tag: 'participants',
        operationId: 'getLedger',
        summary: "A saga's money in the payment participant (zeros if never charged)",
        parameters: [sagaIdQuery],
        responses: { '200': ok('The ledger.', ref('Ledger')), '400': error('BadRequest') },
      }),
    },
    '/api/v1/participants/{participant}/records': {
      get: api({
        tag: 'participants',
        operationId: 'getParticipantRecords',
        summary: "A participant's own records for a saga, oldest first",
        parameters: [
          pathParam('participant', 'A demo participant.', {
            type: 'string',
            enum: [...demoParticipantNames],
          }),
          sagaIdQuery,
        ],
        responses: {
          '200': ok('The records.', { type: 'array', items: ref('ParticipantRecord') }),
          '400': error('BadRequest'),
          '404': error('NotFound'),
        },
      }),
    },
  };
  const faultRoutes = {
    '/api/v1/faults': {
      post: api(
        {
          tag: 'faults',
          operationId: 'createFault',
          summary: 'Inject a fault into the next calls of a participant action',
          description: FAULTS_NOTE,
          requestBody: { required: true, ...json(ref('FaultRequest'), { example: faultExample }) },
          responses: {
            '201': ok('Injected.', ref('Fault')),
            '400': error('BadRequest'),
            '404': error('NotFound'),
          },
        },
        true,
      ),
      get: api({
        tag: 'faults',
        operationId: 'listFaults',
        summary: 'Injected faults',
        description: FAULTS_NOTE,
        responses: {
          '200': ok('The faults.', { type: 'array', items: ref('Fault') }),
          '404': error('NotFound'),
        },
      }),
      delete: api(
        {
          tag: 'faults',
          operationId: 'clearFaults',
          summary: 'Remove every fault',
          description: FAULTS_NOTE,
          responses: { '200': ok('Removed.', ref('Deleted')), '404': error('NotFound') },
        },
        true,
      ),
    },
    '/api/v1/faults/{id}': {
      delete: api(
        {
          tag: 'faults',
          operationId: 'deleteFault',
          summary: 'Remove one fault',
          description: FAULTS_NOTE,
          parameters: [pathParam('id', 'The fault id.', { type: 'string', format: 'uuid' })],
          responses: {
            '200': ok('Removed.', ref('Deleted')),
            '400': error('BadRequest'),
            '404': error('NotFound'),
          },
        },
        true,
      ),
    },
  };
  return {
    ...sagaRoutes,
    ...definitionRoutes,
    ...participantRoutes,
    ...faultRoutes,
    ...eventRoutes((op, write) => api(op as unknown as Operation, write)),
    ...operationRoutes(),
  };
}

function operationRoutes(): Record<string, Record<string, JsonSchema>> {
  const health = (operationId: string, summary: string) => ({
    get: open({
      tag: 'operations',
      operationId,
      summary,
      responses: { '200': ok('Up.', ref('Health')), '503': ok('A check is down.', ref('Health')) },
    }),
  });
  const html = (description: string) => ({
    description,
    content: { 'text/html': { schema: { type: 'string' } } },
  });
  return {
    '/api/v1/sagas/counts': {
      get: api({
        tag: 'sagas',
        operationId: 'countSagas',
        summary: 'How many sagas are in each status (all time)',
        parameters: [
          {
            name: 'definition',
            in: 'query',
            required: false,
            description: 'Only sagas of this definition.',
            schema: { type: 'string', minLength: 1, maxLength: 100 },
          },
        ],
        responses: {
          '200': ok('The six statuses, each with its count (0 when none).', {
            type: 'object',
            required: [...SAGA_STATUSES],
            properties: Object.fromEntries(
              SAGA_STATUSES.map((s) => [s, { type: 'integer', minimum: 0 }]),
            ),
          }),
          '400': error('BadRequest'),
        },
      }),
    },
    '/api/v1/stats': {
      get: api({
        tag: 'operations',
        operationId: 'getStats',
        summary: 'Saga figures and alerts over a time window',
        parameters: [
          {
            name: 'window',
            in: 'query',
            required: false,
            description: '1m to 30d, e.g. 5m, 1h, 7d (default 1h).',
            schema: { type: 'string', pattern: '^\\d{1,6}[mhd]$', default: '1h' },
          },
        ],
        responses: { '200': ok('The figures.', ref('Stats')), '400': error('BadRequest') },
      }),
    },
    '/health': health('health', 'Readiness: database and queue'),
    '/health/ready': health('healthReady', 'Readiness (same as /health)'),
    '/health/live': {
      get: open({
        tag: 'operations',
        operationId: 'healthLive',
        summary: 'Liveness: the process answers',
        responses: {
          '200': ok('Alive.', { type: 'object', properties: { status: { const: 'ok' } } }),
        },
      }),
    },
    '/metrics': {
      get: open({
        tag: 'operations',
        operationId: 'metrics',
        summary: 'Prometheus metrics',
        responses: {
          '200': {
            description: 'Prometheus text format.',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
        },
      }),
    },
    '/queues': {
      get: {
        tags: ['operations'],
        operationId: 'queueDashboard',
        summary:
          'Bull Board: the step queue, read-only (API key as Bearer, or as the Basic password)',
        security: [{ bearer: [] }, { basic: [] }],
        responses: { '200': html('The dashboard.'), '401': error('Unauthorized') },
      },
    },
    '/ui': {
      get: open({
        tag: 'visualizer',
        operationId: 'visualizer',
        summary: 'The saga visualizer (redirects to /ui/)',
        responses: { '200': html('The page.'), '301': { description: 'To /ui/.' } },
      }),
    },
    '/ui/vendor/{file}': {
      get: open({
        tag: 'visualizer',
        operationId: 'visualizerVendorFile',
        summary: 'A vendored script of the visualizer',
        parameters: [pathParam('file', 'e.g. `elk.bundled.js`.')],
        responses: { '200': { description: 'The file.' }, '404': error('NotFound') },
      }),
    },
    '/ui/{path}': {
      get: open({
        tag: 'visualizer',
        operationId: 'visualizerFile',
        summary: 'A file of the visualizer (the page asks for the API key and sends it itself)',
        parameters: [pathParam('path', 'A file under the visualizer directory; may contain `/`.')],
        responses: { '200': { description: 'The file.' }, '404': error('NotFound') },
      }),
    },
  };
}
