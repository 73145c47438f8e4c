import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  createDemoParticipants,
  type Participant,
  type ParticipantOperation,
} from '@app/participants';
import { DataSource } from 'typeorm';
import { SagaException } from '../errors/saga-exception';

/** The participant services this process can call, by name. */
@Injectable()
export class ParticipantRegistry {
  private readonly byName: Map<string, Participant>;

  constructor(@InjectDataSource() ds: DataSource) {
    this.byName = new Map(createDemoParticipants(ds).map((p) => [p.name, p]));
  }

  has(participant: string, operation?: string): boolean {
    const p = this.byName.get(participant);
    // Own keys only: `'constructor' in operations` is true for every object.
    return !!p && (operation === undefined || Object.hasOwn(p.operations, operation));
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  /** Every built-in participant with its operations. */
  catalogue(): ReadonlyMap<string, readonly string[]> {
    return new Map([...this.byName].map(([name, p]) => [name, Object.keys(p.operations)]));
  }

  operations(participant: string): string[] {
    return Object.keys(this.byName.get(participant)?.operations ?? {});
  }

  /** Throws a 400-mapped error naming the field when a fault targets no real operation. */
  assertFaultTarget(f: { participant: string; action: string }, prefix: string): void {
    const at = (field: string) => (prefix ? `${prefix}.${field}` : field);
    if (!this.has(f.participant)) {
      throw new SagaException('INVALID_REQUEST', `Unknown participant '${f.participant}'.`, [
        {
          path: at('participant'),
          message: `unknown participant; known: ${this.names().join(', ')}`,
        },
      ]);
    }
    if (!this.has(f.participant, f.action)) {
      throw new SagaException(
        'INVALID_REQUEST',
        `Participant '${f.participant}' has no action '${f.action}'.`,
        [
          {
            path: at('action'),
            message: `unknown action; known: ${this.operations(f.participant).join(', ')}`,
          },
        ],
      );
    }
  }

  operation(participant: string, operation: string): ParticipantOperation {
    const ops = this.byName.get(participant)?.operations;
    const op = ops && Object.hasOwn(ops, operation) ? ops[operation] : undefined;
    if (!op) throw new Error(`participant ${participant} has no operation ${operation}`);
    return op;
  }
}
