import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { isFinalStatus } from '@app/saga-machines';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { SagaException } from '../errors/saga-exception';
import { SagaEventsHub } from './saga-events.hub';
import { SagasService } from './sagas.service';

@Controller('api/v1/sagas')
@UseGuards(ApiKeyGuard)
export class SagasController {
  constructor(
    private readonly sagas: SagasService,
    private readonly hub: SagaEventsHub,
  ) {}

  @Post()
  async create(
    @Body() body: unknown,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { created, saga } = await this.sagas.create(body, idempotencyKey);
    res.status(created ? 201 : 200);
    res.setHeader('Location', `/api/v1/sagas/${saga.id}`);
    return saga;
  }

  @Get()
  list(@Query() query: unknown) {
    return this.sagas.list(query);
  }

  /** Declared before `:id` so that "counts" is never read as a saga id. */
  @Get('counts')
  counts(@Query() query: unknown) {
    return this.sagas.counts(query);
  }

  @Get(':id')
  get(@Param('id') id: string) {
    return this.sagas.get(id);
  }

  @Get(':id/events')
  async events(@Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    if (!(req.headers.accept ?? '').includes('text/event-stream')) {
      res.json(await this.sagas.history(id));
      return;
    }
    await this.stream(id, req, res);
  }

  /** SSE: history after Last-Event-ID, then live entries until the saga is final. */
  private async stream(id: string, req: Request, res: Response): Promise<void> {
    const lastHeader = req.headers['last-event-id'];
    const last = Number(Array.isArray(lastHeader) ? lastHeader[0] : (lastHeader ?? 0));
    if (!Number.isInteger(last) || last < 0) {
      throw new SagaException('INVALID_REQUEST', 'Last-Event-ID must be a non-negative integer.', [
        { path: 'headers.last-event-id', message: 'must be a non-negative integer' },
      ]);
    }
    let sent = last;
    const initial = await this.sagas.history(id, sent);
    res.status(200).set({
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    let closed = false;
    let pumping = Promise.resolve();
    const write = (events: Awaited<ReturnType<SagasService['history']>>) => {
      for (const e of events) {
        res.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
        sent = e.seq;
      }
    };
    const finish = () => {
      if (closed) return;
      closed = true;
      unsubscribe();
      clearInterval(heartbeat);
      res.end();
    };
    const pump = () => {
      pumping = pumping
        .then(async () => {
          if (closed) return;
          write(await this.sagas.history(id, sent));
          const saga = await this.sagas.get(id);
          if (isFinalStatus(saga.status)) finish();
        })
        .catch(() => finish());
    };
    const unsubscribe = await this.hub.subscribe(id, pump);
    const heartbeat = setInterval(() => {
      res.write(': keep-alive\n\n');
      pump(); // also a safety net should a notification be missed
    }, 5000);
    req.on('close', finish);
    if (req.destroyed) finish();
    write(initial);
    pump();
  }

  @Post(':id/cancel')
  @HttpCode(202)
  cancel(@Param('id') id: string) {
    return this.sagas.cancel(id);
  }

  @Post(':id/retry')
  @HttpCode(202)
  retry(@Param('id') id: string) {
    return this.sagas.retry(id);
  }
}
