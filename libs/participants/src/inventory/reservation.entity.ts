import { Column, Entity, Index, PrimaryColumn, Unique } from 'typeorm';

/** A quantity of one SKU held or returned. */
export interface StockLine {
  sku: string;
  quantity: number;
}

/** Stock held for one saga by `inventory.reserve`, all lines or none. */
@Entity({ schema: 'inventory', name: 'reservation' })
@Unique('uq_reservation_idempotency_key', ['idempotencyKey'])
@Index('ix_reservation_saga_id', ['sagaId'])
export class Reservation {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'saga_id', type: 'text' })
  sagaId!: string;

  @Column({ name: 'idempotency_key', type: 'text' })
  idempotencyKey!: string;

  /** Merged per SKU and sorted by SKU. */
  @Column({ type: 'jsonb' })
  lines!: StockLine[];

  /** `held` or `released`. */
  @Column({ type: 'text' })
  status!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'released_at', type: 'timestamptz', nullable: true })
  releasedAt!: Date | null;
}
