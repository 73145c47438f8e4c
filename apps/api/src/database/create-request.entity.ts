import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An `Idempotency-Key` of `POST /sagas`: the same key and body return the saga made before. */
@Entity({ schema: 'saga', name: 'create_request' })
export class CreateRequestEntity {
  @PrimaryColumn('text', { name: 'idempotency_key' })
  idempotencyKey!: string;

  /** sha256 of the canonical request body. */
  @Column('text', { name: 'body_hash' })
  bodyHash!: string;

  @Column('uuid', { name: 'saga_id' })
  sagaId!: string;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;
}
