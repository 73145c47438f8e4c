import {
  SagaDefinitionError,
  builtInDefinitions,
  definitionInputSchemas,
  orderDefinition,
  orderInputSchema,
  validateSagaDefinition,
  type SagaDefinition,
} from '@app/saga-machines';

const clone = (): SagaDefinition => JSON.parse(JSON.stringify(orderDefinition));

function issuesOf(mutate: (d: Record<string, any>) => void) {
  const definition = clone() as unknown as Record<string, any>;
  mutate(definition);
  try {
    validateSagaDefinition(definition);
  } catch (error) {
    expect(error).toBeInstanceOf(SagaDefinitionError);
    return (error as SagaDefinitionError).issues;
  }
  throw new Error('expected the definition to be rejected');
}

describe('validateSagaDefinition', () => {
  it('accepts the order definition and returns it typed', () => {
    expect(validateSagaDefinition(clone())).toEqual(orderDefinition);
    expect(builtInDefinitions).toEqual([orderDefinition]);
    expect(definitionInputSchemas.order).toBe(orderInputSchema);
  });

  it('missing compensation: names the field and says how to fix it', () => {
    const definition = clone() as unknown as Record<string, any>;
    delete definition.steps[2].compensation;
    expect(() => validateSagaDefinition(definition)).toThrow(
      "steps.2.compensation: step 'process_payment' has no compensation: add `compensation`, the participant operation that undoes `charge`, or mark it `pivot: true`.",
    );
  });

  it.each<[string, (d: Record<string, any>) => void, string, RegExp]>([
    ['no steps', (d) => (d.steps = []), 'steps', /at least one step/],
    [
      'more than 50 steps',
      (d) => (d.steps = Array.from({ length: 51 }, (_, i) => ({ ...d.steps[0], name: `s_${i}` }))),
      'steps',
      /more than 50/,
    ],
    [
      'duplicate step names',
      (d) => (d.steps[1].name = d.steps[0].name),
      'steps.1.name',
      /Duplicates .*steps\.0/,
    ],
    [
      'step name not snake_case',
      (d) => (d.steps[0].name = 'Validate-Order'),
      'steps.0.name',
      /snake_case/,
    ],
    [
      'reserved step name',
      (d) => (d.steps[0].name = 'awaiting_in_flight_step'),
      'steps.0.name',
      /reserved/,
    ],
    [
      'empty compensation',
      (d) => (d.steps[1].compensation = ''),
      'steps.1.compensation',
      /empty.*undoes its action/,
    ],
    ['zero timeout', (d) => (d.steps[0].timeoutMs = 0), 'steps.0.timeoutMs', /greater than 0/],
    [
      'fractional timeout',
      (d) => (d.steps[0].timeoutMs = 1.5),
      'steps.0.timeoutMs',
      /whole number/,
    ],
    [
      'timeout over an hour',
      (d) => (d.steps[0].timeoutMs = 3_600_001),
      'steps.0.timeoutMs',
      /at most 3600000/,
    ],
    [
      'maxAttempts 0',
      (d) => (d.steps[0].retry.maxAttempts = 0),
      'steps.0.retry.maxAttempts',
      /at least 1/,
    ],
    [
      'maxAttempts 21',
      (d) => (d.steps[0].retry.maxAttempts = 21),
      'steps.0.retry.maxAttempts',
      /at most 20/,
    ],
    [
      'maxAttempts 1.5',
      (d) => (d.steps[0].retry.maxAttempts = 1.5),
      'steps.0.retry.maxAttempts',
      /whole number/,
    ],
    [
      'negative backoff',
      (d) => (d.steps[0].retry.backoffMs = -1),
      'steps.0.retry.backoffMs',
      /negative/,
    ],
    [
      'backoff over maxBackoff',
      (d) => (d.steps[0].retry.backoffMs = 5000),
      'steps.0.retry.backoffMs',
      /maxBackoffMs/,
    ],
    [
      'maxBackoff over an hour',
      (d) => (d.steps[0].retry.maxBackoffMs = 3_600_001),
      'steps.0.retry.maxBackoffMs',
      /at most 3600000/,
    ],
    [
      'unknown step field',
      (d) => (d.steps[0].compensate = 'x'),
      'steps.0',
      /'compensate'.*spelling/,
    ],
    ['unknown top-level field', (d) => (d.timeout = 1), '', /'timeout'/],
    ['version 0', (d) => (d.version = 0), 'version', /greater than 0/],
    ['version 1.5', (d) => (d.version = 1.5), 'version', /whole number/],
    ['deadline 0', (d) => (d.deadlineMs = 0), 'deadlineMs', /greater than 0/],
    ['deadline fractional', (d) => (d.deadlineMs = 10.5), 'deadlineMs', /whole number/],
    [
      'bad compensationRetry',
      (d) => (d.steps[0].compensationRetry = { maxAttempts: 0, backoffMs: 0, maxBackoffMs: 0 }),
      'steps.0.compensationRetry.maxAttempts',
      /at least 1/,
    ],
  ])('%s: rejected at %s', (_kind, mutate, path, message) => {
    const issues = issuesOf(mutate);
    const issue = issues.find((i) => i.path === path);
    expect(issue).toBeDefined();
    expect(issue?.message).toMatch(message);
  });

  it('lists every problem at once, in the error message too', () => {
    const definition = clone() as unknown as Record<string, any>;
    definition.version = 0;
    delete definition.steps[0].compensation;
    const error = (() => {
      try {
        validateSagaDefinition(definition);
      } catch (e) {
        return e as SagaDefinitionError;
      }
    })();
    expect(error?.name).toBe('SagaDefinitionError');
    expect(error?.issues.map((i) => i.path)).toEqual(['version', 'steps.0.compensation']);
    expect(error?.message).toMatch(/^Saga definition 'order' is invalid:/);
  });

  it('rejects non-objects', () => {
    expect(() => validateSagaDefinition(null)).toThrow(SagaDefinitionError);
    expect(() => validateSagaDefinition('order')).toThrow(SagaDefinitionError);
  });
});

describe('orderInputSchema', () => {
  const valid = {
    customerId: 'c-42',
    items: [{ sku: 'IPHONE-15', quantity: 1 }],
    payment: { token: 'tok_ok' },
    shippingAddress: { line1: '1 Marine Drive', city: 'Mumbai', postalCode: '400001' },
  };
  it('accepts the API.md example', () => {
    expect(orderInputSchema.parse(valid)).toEqual(valid);
  });
  it.each<[string, Record<string, unknown>]>([
    ['empty customerId', { ...valid, customerId: '' }],
    ['no items', { ...valid, items: [] }],
    ['quantity 0', { ...valid, items: [{ sku: 'A', quantity: 0 }] }],
    ['quantity 1.5', { ...valid, items: [{ sku: 'A', quantity: 1.5 }] }],
    [
      '51 items',
      { ...valid, items: Array.from({ length: 51 }, () => ({ sku: 'A', quantity: 1 })) },
    ],
    ['unknown field', { ...valid, coupon: 'x' }],
    ['unknown nested field', { ...valid, payment: { token: 't', cvv: '1' } }],
    ['missing address line', { ...valid, shippingAddress: { city: 'x', postalCode: '1' } }],
  ])('rejects %s', (_name, input) => {
    expect(orderInputSchema.safeParse(input).success).toBe(false);
  });
});
