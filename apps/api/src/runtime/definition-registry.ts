import { Injectable } from '@nestjs/common';
import {
  builtInDefinitions,
  definitionInputSchemas,
  validateSagaDefinition,
  type SagaDefinition,
} from '@app/saga-machines';
import type { ZodType } from 'zod';
import { SagaException } from '../errors/saga-exception';

/** The saga definitions this service runs, by name and version. */
@Injectable()
export class DefinitionRegistry {
  private readonly byKey = new Map<string, SagaDefinition>();

  constructor() {
    // Validated at boot: a broken built-in definition must stop the service, not a saga.
    for (const d of builtInDefinitions)
      this.byKey.set(`${d.name}@${d.version}`, validateSagaDefinition(d));
  }

  list(): SagaDefinition[] {
    return [...this.byKey.values()].sort(
      (a, b) => a.name.localeCompare(b.name) || a.version - b.version,
    );
  }

  /** The given version, or the latest when `version` is undefined. */
  get(name: string, version?: number): SagaDefinition {
    if (version !== undefined) {
      const d = this.byKey.get(`${name}@${version}`);
      if (d) return d;
    } else {
      const latest = this.list()
        .filter((d) => d.name === name)
        .pop();
      if (latest) return latest;
    }
    throw new SagaException(
      'DEFINITION_NOT_FOUND',
      version === undefined
        ? `No saga definition named '${name}'.`
        : `No saga definition '${name}' version ${version}.`,
    );
  }

  inputSchema(name: string): ZodType | undefined {
    return (definitionInputSchemas as Record<string, ZodType | undefined>)[name];
  }
}
