import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Append-only history of a saga, written in the same transaction as the snapshot it explains. */
@Entity({ schema: 'saga', name: 'saga_event' })
@Index('saga_event_saga_seq_uq', ['sagaId', 'seq'], { unique: true })
export class SagaEventEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id!: string;

  @Column('uuid', { name: 'saga_id' })
  sagaId!: string;

  @Column('int')
  seq!: number;

  @Column('text')
  type!: string;

  @Column('text', { nullable: true })
  step!: string | null;

  @Column('int', { nullable: true })
  attempt!: number | null;

  @Column('jsonb')
  data!: Record<string, unknown>;

  /** The machine event this entry records (replayable), or null for a derived entry. */
  @Column('jsonb', { nullable: true })
  event!: unknown;

  @Column('timestamptz')
  at!: Date;
}
