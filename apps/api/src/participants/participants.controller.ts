import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ParticipantViews, UnknownParticipantError } from '@app/participants';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { SagaException } from '../errors/saga-exception';
import { parseRequest } from '../http/zod-request';

const sagaQuerySchema = z
  .object({ sagaId: z.string().uuid({ message: 'must be a UUID' }) })
  .strict();
const skuSchema = z.string().min(1).max(64);

/** Read-only views of the demo participants' own state (API.md). */
@Controller('api/v1/participants')
@UseGuards(ApiKeyGuard)
export class ParticipantsController {
  private readonly views: ParticipantViews;

  constructor(@InjectDataSource() ds: DataSource) {
    this.views = new ParticipantViews(ds);
  }

  @Get('inventory/stock/:sku')
  async stock(@Param('sku') sku: string) {
    const s = await this.views.stock(parseRequest(skuSchema, sku, 'sku', 'SKU'));
    if (!s) throw new SagaException('STOCK_NOT_FOUND', `No stock for SKU '${sku}'.`);
    return s;
  }

  @Get('payment/ledger')
  async ledger(@Query() query: unknown) {
    const { sagaId } = parseRequest(sagaQuerySchema, query, 'query', 'query');
    return this.views.ledger(sagaId);
  }

  @Get(':participant/records')
  async records(@Param('participant') participant: string, @Query() query: unknown) {
    const { sagaId } = parseRequest(sagaQuerySchema, query, 'query', 'query');
    try {
      return await this.views.records(participant, sagaId);
    } catch (err) {
      if (err instanceof UnknownParticipantError)
        throw new SagaException('PARTICIPANT_NOT_FOUND', err.message);
      throw err;
    }
  }
}
