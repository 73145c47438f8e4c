import { Check, Column, Entity, Index, PrimaryColumn, Unique } from 'typeorm';

/** Money taken from the customer by `payment.charge`. */
@Entity({ schema: 'payment', name: 'charge' })
@Unique('uq_charge_idempotency_key', ['idempotencyKey'])
@Index('ix_charge_saga_id', ['sagaId'])
@Check('ck_charge_amount', '"amount_cents" >= 0')
export class Charge {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'saga_id', type: 'text' })
  sagaId!: string;

  @Column({ name: 'idempotency_key', type: 'text' })
  idempotencyKey!: string;

  @Column({ name: 'amount_cents', type: 'bigint' })
  amountCents!: string;

  /** `captured` or `refunded`. */
  @Column({ type: 'text' })
  status!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'refunded_at', type: 'timestamptz', nullable: true })
  refundedAt!: Date | null;
}
