import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Res,
  UseGuards,
} from '@nestjs/common';
import { sagaMachineGraph } from '@app/saga-machines';
import type { Response } from 'express';
import { z } from 'zod';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { SagaException } from '../errors/saga-exception';
import { parseRequest, wholeNumberParam } from '../http/zod-request';
import { DefinitionRegistry, type DefinitionEntry } from '../runtime/definition-registry';

const versionQuerySchema = z
  .object({
    version: wholeNumberParam(1).optional(),
  })
  .strict();

const NAME = /^[a-z][a-z0-9_-]{0,62}$/;

/** A definition as the API lists it (API.md, "Definitions"). */
export function definitionSummary(e: DefinitionEntry) {
  const d = e.definition;
  return {
    name: d.name,
    version: d.version,
    description: d.description,
    deadlineMs: d.deadlineMs,
    source: e.source,
    registeredAt: e.registeredAt?.toISOString() ?? null,
    retiredAt: e.retiredAt?.toISOString() ?? null,
    ...(d.participants ? { participants: d.participants } : {}),
    ...(d.inputSchema ? { inputSchema: d.inputSchema } : {}),
    steps: d.steps.map((s) => ({
      name: s.name,
      participant: s.participant,
      action: s.action,
      compensation: s.compensation ?? null,
      timeoutMs: s.timeoutMs,
      retry: s.retry,
      compensationRetry: s.compensationRetry ?? s.retry,
      async: s.async === true,
      compensationAsync: s.compensationAsync === true,
      ...(s.dependsOn ? { dependsOn: s.dependsOn } : {}),
      ...(s.forEach !== undefined ? { forEach: s.forEach, concurrency: s.concurrency ?? 1 } : {}),
      ...(s.pivot ? { pivot: true } : {}),
    })),
  };
}

function withMachine(e: DefinitionEntry) {
  return { ...definitionSummary(e), machine: sagaMachineGraph(e.definition) };
}

function parseName(name: string): string {
  if (!NAME.test(name)) {
    throw new SagaException('INVALID_REQUEST', `Invalid definition name '${name.slice(0, 80)}'.`, [
      { path: 'name', message: 'must match ^[a-z][a-z0-9_-]{0,62}$' },
    ]);
  }
  return name;
}

@Controller('api/v1/definitions')
@UseGuards(ApiKeyGuard)
export class DefinitionsController {
  constructor(private readonly definitions: DefinitionRegistry) {}

  @Get()
  async list() {
    return (await this.definitions.list()).map(definitionSummary);
  }

  @Get(':name')
  async get(@Param('name') name: string, @Query() query: unknown) {
    const { version } = parseRequest(versionQuerySchema, query, 'query', 'query');
    return withMachine(await this.definitions.find(parseName(name), version));
  }

  /** 201 for a new version, 200 when the same document was registered before. */
  @Post()
  async register(@Body() body: unknown, @Res({ passthrough: true }) res: Response) {
    const outcome = await this.definitions.register(body);
    const { name, version } = outcome.entry.definition;
    res.status(outcome.created ? 201 : 200);
    res.setHeader('Location', `/api/v1/definitions/${name}?version=${version}`);
    return {
      ...withMachine(outcome.entry),
      warnings: outcome.warnings,
      inFlight: outcome.inFlight,
    };
  }

  /** Retires a version: new sagas can no longer start on it. */
  @Delete(':name')
  @HttpCode(200)
  async retire(@Param('name') name: string, @Query() query: unknown) {
    const { version } = parseRequest(versionQuerySchema, query, 'query', 'query');
    if (version === undefined) {
      throw new SagaException('INVALID_REQUEST', 'Say which version to retire: ?version=N.', [
        { path: 'query.version', message: 'required: the version to retire' },
      ]);
    }
    return definitionSummary(await this.definitions.retire(parseName(name), version));
  }
}
