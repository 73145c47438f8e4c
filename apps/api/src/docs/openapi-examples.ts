// Examples of API.md, shown by Swagger UI next to each schema.

export const orderInputExample = {
  customerId: 'c-42',
  items: [{ sku: 'IPHONE-15', quantity: 1 }],
  payment: { token: 'tok_ok' },
  shippingAddress: { line1: '1 Marine Drive', city: 'Mumbai', postalCode: '400001' },
};

export const createSagaExamples = {
  completes: {
    summary: 'An order that completes',
    value: { definition: 'order', version: 1, input: orderInputExample },
  },
  compensates: {
    summary: 'An order that compensates (ADDRESS_NOT_SERVICEABLE)',
    value: {
      definition: 'order',
      input: {
        ...orderInputExample,
        shippingAddress: { ...orderInputExample.shippingAddress, postalCode: '000000' },
      },
    },
  },
  declined: {
    summary: 'A declined card (CARD_DECLINED)',
    value: {
      definition: 'order',
      input: { ...orderInputExample, payment: { token: 'tok_declined' } },
    },
  },
};

const at = '2025-01-01T12:00:00.000Z';
const done = '2025-01-01T12:00:00.420Z';

export const compensatedSagaExample = {
  id: '0b6f5c1e-5d0a-4a8e-9a57-2f0d3c1f7a10',
  definition: 'order',
  definitionVersion: 1,
  status: 'COMPENSATED',
  state: 'COMPENSATED',
  input: {
    ...orderInputExample,
    shippingAddress: { ...orderInputExample.shippingAddress, postalCode: '000000' },
  },
  output: null,
  steps: [
    {
      name: 'validate_order',
      status: 'compensated',
      attempts: 1,
      startedAt: at,
      finishedAt: at,
      output: {},
      error: null,
      compensation: {
        status: 'succeeded',
        attempts: 1,
        startedAt: done,
        finishedAt: done,
        output: {},
        error: null,
      },
    },
    {
      name: 'arrange_shipping',
      status: 'failed',
      attempts: 1,
      startedAt: at,
      finishedAt: at,
      output: null,
      error: {
        code: 'ADDRESS_NOT_SERVICEABLE',
        message: 'No delivery to postal code 000000.',
        retryable: false,
      },
      compensation: null,
    },
  ],
  error: {
    step: 'arrange_shipping',
    code: 'ADDRESS_NOT_SERVICEABLE',
    message: 'No delivery to postal code 000000.',
  },
  requiresManualIntervention: false,
  cancel: null,
  deadlineAt: '2025-01-01T12:05:00.000Z',
  createdAt: at,
  updatedAt: done,
  finishedAt: done,
};

export const eventsExample = [
  { seq: 1, at, type: 'SAGA_STARTED', step: null, attempt: null, data: {} },
  { seq: 2, at, type: 'STEP_STARTED', step: 'validate_order', attempt: 1, data: {} },
  { seq: 3, at, type: 'STEP_SUCCEEDED', step: 'validate_order', attempt: 1, data: {} },
];

export const validationErrorExample = {
  statusCode: 400,
  error: 'Bad Request',
  message: 'Invalid saga input: input.items.0.quantity: Too small: expected number to be >=1',
  details: [{ path: 'input.items.0.quantity', message: 'Too small: expected number to be >=1' }],
};

export const faultExample = { participant: 'payment', action: 'refund', mode: 'fail', times: 3 };

/** API.md's registration example (without `dependsOn`, which this version refuses). */
export const travelDefinitionExample = {
  name: 'travel',
  version: 1,
  description: 'Flight, hotel, then payment',
  deadlineMs: 600000,
  inputSchema: {
    type: 'object',
    required: ['customerId', 'passengers'],
    properties: {
      customerId: { type: 'string' },
      passengers: { type: 'array', minItems: 1, items: { type: 'object' } },
    },
  },
  participants: {
    flight: { url: 'http://127.0.0.1:4001' },
    hotel: { url: 'http://127.0.0.1:4002' },
  },
  steps: [
    {
      name: 'book_flight',
      participant: 'flight',
      action: 'book',
      compensation: 'cancel',
      timeoutMs: 5000,
      retry: { maxAttempts: 3, backoffMs: 200, maxBackoffMs: 5000 },
    },
    {
      name: 'book_hotel',
      participant: 'hotel',
      action: 'book',
      compensation: 'cancel',
      async: true,
      timeoutMs: 60000,
    },
  ],
};

export const definitionLintErrorExample = {
  statusCode: 400,
  error: 'Bad Request',
  message:
    "Invalid definition: steps.1.compensation: step 'book_hotel' has no compensation: add `compensation`, the participant operation that undoes `book`.",
  details: [
    {
      path: 'steps.1.compensation',
      message:
        "step 'book_hotel' has no compensation: add `compensation`, the participant operation that undoes `book`.",
    },
  ],
};

export const callbackExamples = {
  succeeded: {
    summary: 'The work succeeded',
    value: { status: 'succeeded', output: { bookingRef: 'H-1042' } },
  },
  failed: {
    summary: 'The work failed for good',
    value: {
      status: 'failed',
      error: { code: 'NO_ROOMS', message: 'The hotel is full on those dates.' },
      retryable: false,
    },
  },
};
