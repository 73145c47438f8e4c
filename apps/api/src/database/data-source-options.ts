import { participantEntities, participantMigrations } from '@app/participants';
import type { DataSourceOptions } from 'typeorm';
import { CreateRequestEntity } from './create-request.entity';
import { FaultEntity } from './fault.entity';
import { GuardedPgClient } from './guarded-pg-client';
import { SagaTables1764000000000 } from './migrations/1764000000000-saga-tables';
import { RegisteredDefinitions1765000000000 } from './migrations/1765000000000-registered-definitions';
import { Events1766000000000 } from './migrations/1766000000000-events';
import { SagaEventEntity } from './saga-event.entity';
import { SagaInstanceEntity } from './saga-instance.entity';

export const sagaEntities = [SagaInstanceEntity, SagaEventEntity, CreateRequestEntity, FaultEntity];

/** The one database: saga tables in schema `saga`, each demo participant in its own schema. */
export function dataSourceOptions(url: string, poolSize = 20): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: [...sagaEntities, ...participantEntities],
    migrations: [
      SagaTables1764000000000,
      ...participantMigrations,
      RegisteredDefinitions1765000000000,
      Events1766000000000,
    ],
    migrationsTransactionMode: 'all',
    synchronize: false,
    // GuardedPgClient: a connection lost right after it was opened must not end the process.
    extra: { max: poolSize, Client: GuardedPgClient },
  };
}
