import { Column, Entity, Index, PrimaryColumn, Unique } from 'typeorm';

/** A delivery address, as the saga input gives it. */
export interface ShippingAddress {
  line1: string;
  city: string;
  postalCode: string;
}

/** A shipment arranged by `shipping.arrange`; free to cancel until `dispatchCutoffAt`. */
@Entity({ schema: 'shipping', name: 'shipment' })
@Unique('uq_shipment_idempotency_key', ['idempotencyKey'])
@Index('ix_shipment_saga_id', ['sagaId'])
export class Shipment {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'saga_id', type: 'text' })
  sagaId!: string;

  @Column({ name: 'idempotency_key', type: 'text' })
  idempotencyKey!: string;

  @Column({ type: 'jsonb' })
  address!: ShippingAddress;

  /** `arranged` or `cancelled`. */
  @Column({ type: 'text' })
  status!: string;

  /** By the shipping service's clock (which tests may move). */
  @Column({ name: 'arranged_at', type: 'timestamptz' })
  arrangedAt!: Date;

  @Column({ name: 'dispatch_cutoff_at', type: 'timestamptz' })
  dispatchCutoffAt!: Date;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'cancelled_at', type: 'timestamptz', nullable: true })
  cancelledAt!: Date | null;
}
