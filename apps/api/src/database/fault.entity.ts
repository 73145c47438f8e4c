import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An injected fault: the next `remaining` calls of participant.action misbehave in `mode`. */
@Entity({ schema: 'saga', name: 'fault' })
export class FaultEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  participant!: string;

  @Column('text')
  action!: string;

  @Column('text')
  mode!: 'fail' | 'transient' | 'timeout' | 'delay';

  @Column('int')
  times!: number;

  @Column('int')
  remaining!: number;

  /** Only calls for this saga are affected; null: every saga. */
  @Column('uuid', { name: 'saga_id', nullable: true })
  sagaId!: string | null;

  /** Mode `delay`: how long the call is held before it runs normally. */
  @Column('int', { name: 'delay_ms', nullable: true })
  delayMs!: number | null;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;
}
