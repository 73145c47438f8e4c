import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The notification service's idempotency ledger: one row per operation call, keyed by its key. */
@Entity({ schema: 'notification', name: 'operation' })
export class NotificationOperation {
  @PrimaryColumn({ name: 'idempotency_key', type: 'text' })
  idempotencyKey!: string;

  @Column({ name: 'saga_id', type: 'text' })
  sagaId!: string;

  @Column({ type: 'text' })
  operation!: string;

  /** The first result, returned to every repeat; null only inside the claiming transaction. */
  @Column({ type: 'jsonb', nullable: true })
  result!: unknown;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
