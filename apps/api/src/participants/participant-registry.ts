import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  createDemoParticipants,
  type Participant,
  type ParticipantOperation,
} from '@app/participants';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';

/** The participant services this process can call, by name. */
@Injectable()
export class ParticipantRegistry {
  private readonly byName: Map<string, Participant>;

  constructor(@InjectDataSource() ds: DataSource, @Inject(APP_CONFIG) _config: AppConfig) {
    this.byName = new Map(createDemoParticipants(ds).map((p) => [p.name, p]));
  }

  has(participant: string, operation?: string): boolean {
    const p = this.byName.get(participant);
    return !!p && (operation === undefined || operation in p.operations);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  operations(participant: string): string[] {
    return Object.keys(this.byName.get(participant)?.operations ?? {});
  }

  operation(participant: string, operation: string): ParticipantOperation {
    const op = this.byName.get(participant)?.operations[operation];
    if (!op) throw new Error(`participant ${participant} has no operation ${operation}`);
    return op;
  }
}
