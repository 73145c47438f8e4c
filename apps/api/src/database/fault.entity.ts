import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An injected fault: the next `remaining` calls of participant.action fail in `mode`. */
@Entity({ schema: 'saga', name: 'fault' })
export class FaultEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  participant!: string;

  @Column('text')
  action!: string;

  @Column('text')
  mode!: 'fail' | 'transient' | 'timeout';

  @Column('int')
  times!: number;

  @Column('int')
  remaining!: number;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;
}
