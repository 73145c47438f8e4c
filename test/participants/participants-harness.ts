// Real PostgreSQL for the participant suites: a fresh database per suite with the
// participants' migrations run, and a small stand-in for the runtime's call contexts.
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import {
  createDemoParticipants,
  participantEntities,
  participantMigrations,
  ParticipantViews,
  type DemoParticipantName,
  type DemoParticipantOptions,
  type Participant,
  type ParticipantCallContext,
} from '@app/participants';
import { createTestDatabase } from '../support/test-database';

/** The `order` saga's step for each participant (see libs/saga-machines order definition). */
export const stepOf: Record<DemoParticipantName, string> = {
  order: 'validate_order',
  inventory: 'reserve_inventory',
  payment: 'process_payment',
  shipping: 'arrange_shipping',
  notification: 'send_notification',
};

/** The action and compensation of each participant's step. */
export const pairOf: Record<DemoParticipantName, { action: string; compensation: string }> = {
  order: { action: 'validate', compensation: 'invalidate' },
  inventory: { action: 'reserve', compensation: 'release' },
  payment: { action: 'charge', compensation: 'refund' },
  shipping: { action: 'arrange', compensation: 'cancel' },
  notification: { action: 'send_confirmation', compensation: 'send_cancellation' },
};

export interface OrderInput {
  customerId: string;
  items: { sku: string; quantity: number }[];
  payment: { token: string };
  shippingAddress: { line1: string; city: string; postalCode: string };
}

/** The API.md example input, with overrides. */
export function orderInput(overrides: Partial<OrderInput> = {}): OrderInput {
  return {
    customerId: 'c-42',
    items: [{ sku: 'IPHONE-15', quantity: 1 }],
    payment: { token: 'tok_ok' },
    shippingAddress: { line1: '1 Marine Drive', city: 'Mumbai', postalCode: '400001' },
    ...overrides,
  };
}

/** A context as the runtime builds it: key `sagaId:step:kind`, stable across attempts. */
export function callContext(
  sagaId: string,
  participant: DemoParticipantName,
  kind: 'execute' | 'compensate',
  input: unknown,
  extra: Partial<ParticipantCallContext> = {},
): ParticipantCallContext {
  const step = stepOf[participant];
  return {
    sagaId,
    step,
    kind,
    idempotencyKey: `${sagaId}:${step}:${kind}`,
    input,
    outputs: {},
    attempt: 1,
    signal: new AbortController().signal,
    ...extra,
  };
}

/** One database with the participants' schemas, and the demo participants working on it. */
export class ParticipantsDatabase {
  readonly views: ParticipantViews;
  private participants: Record<string, Participant>;

  private constructor(
    readonly dataSource: DataSource,
    options?: DemoParticipantOptions,
  ) {
    this.views = new ParticipantViews(dataSource);
    this.participants = this.withOptions(options);
  }

  static async open(options?: DemoParticipantOptions): Promise<ParticipantsDatabase> {
    const dataSource = new DataSource({
      type: 'postgres',
      url: await createTestDatabase('participants'),
      entities: participantEntities,
      migrations: participantMigrations,
      migrationsRun: true,
    });
    await dataSource.initialize();
    return new ParticipantsDatabase(dataSource, options);
  }

  /** Demo participants on the same database with other options (e.g. a movable clock). */
  withOptions(options?: DemoParticipantOptions): Record<string, Participant> {
    return Object.fromEntries(
      createDemoParticipants(this.dataSource, options).map((p) => [p.name, p]),
    );
  }

  call(
    participant: DemoParticipantName,
    operation: string,
    ctx: ParticipantCallContext,
  ): Promise<unknown> {
    return this.participants[participant].operations[operation](ctx);
  }

  /** A saga that calls the participants in order, feeding outputs forward like the runtime. */
  saga(input: unknown = orderInput()): SagaRun {
    return new SagaRun(this, input);
  }

  async close(): Promise<void> {
    await this.dataSource.destroy();
  }
}

/** Calls participants the way the runtime does for one saga. */
export class SagaRun {
  readonly sagaId = randomUUID();
  readonly outputs: Record<string, unknown> = {};

  constructor(
    private readonly db: ParticipantsDatabase,
    readonly input: unknown,
  ) {}

  executeContext(participant: DemoParticipantName, attempt = 1): ParticipantCallContext {
    return callContext(this.sagaId, participant, 'execute', this.input, {
      outputs: { ...this.outputs },
      attempt,
    });
  }

  compensateContext(participant: DemoParticipantName): ParticipantCallContext {
    return callContext(this.sagaId, participant, 'compensate', this.input, {
      outputs: { ...this.outputs },
      forwardOutput: this.outputs[stepOf[participant]],
    });
  }

  async execute<T = Record<string, unknown>>(
    participant: DemoParticipantName,
    attempt = 1,
  ): Promise<T> {
    const output = await this.db.call(
      participant,
      pairOf[participant].action,
      this.executeContext(participant, attempt),
    );
    this.outputs[stepOf[participant]] = output;
    return output as T;
  }

  async compensate<T = Record<string, unknown>>(participant: DemoParticipantName): Promise<T> {
    return (await this.db.call(
      participant,
      pairOf[participant].compensation,
      this.compensateContext(participant),
    )) as T;
  }
}
