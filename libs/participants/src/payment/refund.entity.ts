import { Check, Column, Entity, Index, PrimaryColumn, Unique } from 'typeorm';

/**
 * The record of one `payment.refund` call. The check keeps the books honest: what was
 * refunded plus the fee kept is exactly what was charged.
 */
@Entity({ schema: 'payment', name: 'refund' })
@Unique('uq_refund_idempotency_key', ['idempotencyKey'])
@Index('ix_refund_saga_id', ['sagaId'])
@Check('ck_refund_balances', '"refunded_cents" + "fee_cents" = "charged_cents"')
@Check('ck_refund_non_negative', '"refunded_cents" >= 0 AND "fee_cents" >= 0')
export class Refund {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'saga_id', type: 'text' })
  sagaId!: string;

  @Column({ name: 'idempotency_key', type: 'text' })
  idempotencyKey!: string;

  /** Null when nothing had been charged (a recorded no-op with zero amounts). */
  @Column({ name: 'charge_id', type: 'uuid', nullable: true })
  chargeId!: string | null;

  @Column({ name: 'charged_cents', type: 'bigint' })
  chargedCents!: string;

  @Column({ name: 'refunded_cents', type: 'bigint' })
  refundedCents!: string;

  @Column({ name: 'fee_cents', type: 'bigint' })
  feeCents!: string;

  /** `refunded` or `noop`. */
  @Column({ type: 'text' })
  status!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
