import { Column, Entity, Index, PrimaryColumn, Unique } from 'typeorm';

/** A message sent to the customer (the demo records it instead of emailing anyone). */
@Entity({ schema: 'notification', name: 'message' })
@Unique('uq_message_idempotency_key', ['idempotencyKey'])
@Index('ix_message_saga_id', ['sagaId'])
export class Message {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'saga_id', type: 'text' })
  sagaId!: string;

  @Column({ name: 'idempotency_key', type: 'text' })
  idempotencyKey!: string;

  /** `confirmation` or `cancellation`. */
  @Column({ type: 'text' })
  kind!: string;

  /** The customer id. */
  @Column({ type: 'text' })
  recipient!: string;

  @Column({ type: 'text' })
  body!: string;

  /** `sent`. */
  @Column({ type: 'text' })
  status!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
