import { Column, Entity, Index, PrimaryColumn, Unique } from 'typeorm';

/** A priced order line, as validated against the catalog. */
export interface OrderLine {
  sku: string;
  quantity: number;
  priceCents: number;
}

/** An order recorded by `order.validate`; `order.invalidate` marks it cancelled. */
@Entity({ schema: 'order_svc', name: 'customer_order' })
@Unique('uq_customer_order_idempotency_key', ['idempotencyKey'])
@Index('ix_customer_order_saga_id', ['sagaId'])
export class CustomerOrder {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'saga_id', type: 'text' })
  sagaId!: string;

  @Column({ name: 'idempotency_key', type: 'text' })
  idempotencyKey!: string;

  @Column({ name: 'customer_id', type: 'text' })
  customerId!: string;

  @Column({ type: 'jsonb' })
  lines!: OrderLine[];

  @Column({ name: 'total_cents', type: 'bigint' })
  totalCents!: string;

  /** `validated` or `cancelled`. */
  @Column({ type: 'text' })
  status!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'cancelled_at', type: 'timestamptz', nullable: true })
  cancelledAt!: Date | null;
}
