import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { sagaMachineGraph, type SagaDefinition } from '@app/saga-machines';
import { z } from 'zod';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { parseRequest, wholeNumberParam } from '../http/zod-request';
import { DefinitionRegistry } from '../runtime/definition-registry';

const versionQuerySchema = z
  .object({
    version: wholeNumberParam(1).optional(),
  })
  .strict();

function summary(d: SagaDefinition) {
  return {
    name: d.name,
    version: d.version,
    description: d.description,
    deadlineMs: d.deadlineMs,
    steps: d.steps.map((s) => ({
      name: s.name,
      participant: s.participant,
      action: s.action,
      compensation: s.compensation,
      timeoutMs: s.timeoutMs,
      retry: s.retry,
      compensationRetry: s.compensationRetry ?? s.retry,
    })),
  };
}

@Controller('api/v1/definitions')
@UseGuards(ApiKeyGuard)
export class DefinitionsController {
  constructor(private readonly definitions: DefinitionRegistry) {}

  @Get()
  list() {
    return this.definitions.list().map(summary);
  }

  @Get(':name')
  get(@Param('name') name: string, @Query() query: unknown) {
    const { version } = parseRequest(versionQuerySchema, query, 'query', 'query');
    const d = this.definitions.get(name, version);
    return { ...summary(d), machine: sagaMachineGraph(d) };
  }
}
