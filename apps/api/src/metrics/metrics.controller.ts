import { Controller, Get, Header, Res } from '@nestjs/common';
import type { Response } from 'express';
import { SagaMetrics } from './saga-metrics';

/** `GET /metrics`: Prometheus text format, no API key (API.md), like /health. */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: SagaMetrics) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  async scrape(@Res() res: Response): Promise<void> {
    const { contentType, body } = await this.metrics.scrape();
    res.status(200).type(contentType).send(body);
  }
}
