import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import type { PersistedSagaSnapshot } from '@app/saga-machines';
import { z } from 'zod';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { SagaException } from '../errors/saga-exception';
import { parseRequest, wholeNumberParam } from '../http/zod-request';
import { SagaRuntime } from '../runtime/saga-runtime.service';
import { SagaStore } from '../runtime/saga-store';
import { SagasService } from '../sagas/sagas.service';
import { replaySagaStates } from './replay-saga-states';

const statesQuerySchema = z
  .object({
    at: wholeNumberParam(1).optional(),
  })
  .strict();

/**
 * `GET /api/v1/sagas/:id/states[?at=seq]`: the saga's statechart state and step statuses after
 * each history entry, replayed from the stored events (the visualizer's time travel).
 */
@Controller('api/v1/sagas')
@UseGuards(ApiKeyGuard)
export class SagaStatesController {
  constructor(
    private readonly sagas: SagasService,
    private readonly runtime: SagaRuntime,
    private readonly store: SagaStore,
  ) {}

  @Get(':id/states')
  async states(@Param('id') id: string, @Query() query: unknown) {
    const { at } = parseRequest(statesQuerySchema, query, 'query', 'query');
    const saga = await this.runtime.load(this.sagas.parseId(id));
    const history = await this.store.history(saga.id);
    const replay = replaySagaStates(
      await this.runtime.definitionOf(saga),
      saga.snapshot as PersistedSagaSnapshot,
      history,
    );
    const base = {
      sagaId: saga.id,
      storedState: saga.state,
      replayedState: replay.finalState,
      consistent: replay.consistent,
    };
    if (at === undefined) return { ...base, states: replay.states };
    const one = replay.states.find((s) => s.seq === at);
    if (!one) {
      throw new SagaException(
        'INVALID_REQUEST',
        `Invalid query: this saga has no history entry ${at}.`,
        [{ path: 'query.at', message: `must be a seq between 1 and ${replay.states.length}` }],
      );
    }
    return { ...base, states: [one] };
  }
}
