import { Column, Entity, Index, PrimaryColumn, Unique } from 'typeorm';

/** The record of one `shipping.cancel` call and the fee it cost. */
@Entity({ schema: 'shipping', name: 'shipment_cancellation' })
@Unique('uq_shipment_cancellation_idempotency_key', ['idempotencyKey'])
@Index('ix_shipment_cancellation_saga_id', ['sagaId'])
export class ShipmentCancellation {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'saga_id', type: 'text' })
  sagaId!: string;

  @Column({ name: 'idempotency_key', type: 'text' })
  idempotencyKey!: string;

  /** Null when there was no arranged shipment (a recorded no-op). */
  @Column({ name: 'shipment_id', type: 'uuid', nullable: true })
  shipmentId!: string | null;

  @Column({ name: 'fee_cents', type: 'bigint' })
  feeCents!: string;

  /** Whether the cancellation came at or after the dispatch cut-off (and so cost the fee). */
  @Column({ name: 'after_cutoff', type: 'boolean' })
  afterCutoff!: boolean;

  /** `cancelled` or `noop`. */
  @Column({ type: 'text' })
  status!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
