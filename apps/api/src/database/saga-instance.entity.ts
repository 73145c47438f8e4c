import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One saga: its persisted statechart snapshot plus the columns queries filter on. The
 * snapshot is the truth; the other columns are derived from it in the same write.
 */
@Entity({ schema: 'saga', name: 'saga_instance' })
@Index('saga_instance_created_idx', ['createdAt', 'id'])
@Index('saga_instance_status_idx', ['status', 'createdAt'])
export class SagaInstanceEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  definition!: string;

  @Column('int', { name: 'definition_version' })
  definitionVersion!: number;

  @Column('text')
  status!: string;

  /** Full statechart state as a dotted path, e.g. `EXECUTING.process_payment`. */
  @Column('text')
  state!: string;

  @Column('jsonb')
  snapshot!: unknown;

  /** Optimistic lock: every write is `... WHERE version = <read version>`. */
  @Column('int')
  version!: number;

  /** Sequence number of the last history entry. */
  @Column('int', { name: 'last_seq' })
  lastSeq!: number;

  @Column('text', { name: 'error_step', nullable: true })
  errorStep!: string | null;

  @Column('text', { name: 'error_code', nullable: true })
  errorCode!: string | null;

  @Column('boolean', { name: 'requires_manual_intervention', default: false })
  requiresManualIntervention!: boolean;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt!: Date;

  @Column('timestamptz', { name: 'finished_at', nullable: true })
  finishedAt!: Date | null;

  @Column('timestamptz', { name: 'deadline_at' })
  deadlineAt!: Date;
}
