import { Column, Entity, Index, PrimaryColumn, Unique } from 'typeorm';

/** The record of one `order.invalidate` call: which order it cancelled, if any. */
@Entity({ schema: 'order_svc', name: 'order_cancellation' })
@Unique('uq_order_cancellation_idempotency_key', ['idempotencyKey'])
@Index('ix_order_cancellation_saga_id', ['sagaId'])
export class OrderCancellation {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'saga_id', type: 'text' })
  sagaId!: string;

  @Column({ name: 'idempotency_key', type: 'text' })
  idempotencyKey!: string;

  /** Null when there was no order to cancel (a recorded no-op). */
  @Column({ name: 'order_id', type: 'uuid', nullable: true })
  orderId!: string | null;

  /** `cancelled` or `noop`. */
  @Column({ type: 'text' })
  status!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
