import { Column, Entity, Index, PrimaryColumn, Unique } from 'typeorm';
import type { StockLine } from './reservation.entity';

/** The record of one `inventory.release` call: what it returned to stock, if anything. */
@Entity({ schema: 'inventory', name: 'release' })
@Unique('uq_release_idempotency_key', ['idempotencyKey'])
@Index('ix_release_saga_id', ['sagaId'])
export class StockRelease {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'saga_id', type: 'text' })
  sagaId!: string;

  @Column({ name: 'idempotency_key', type: 'text' })
  idempotencyKey!: string;

  /** Null when nothing was held (a recorded no-op). */
  @Column({ name: 'reservation_id', type: 'uuid', nullable: true })
  reservationId!: string | null;

  @Column({ type: 'jsonb' })
  lines!: StockLine[];

  /** `released` or `noop`. */
  @Column({ type: 'text' })
  status!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
