import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { parseStatsQuery } from './stats-window';
import { StatsService } from './stats.service';

/** `GET /api/v1/stats?window=1h` (API.md, Operations). */
@Controller('api/v1/stats')
@UseGuards(ApiKeyGuard)
export class StatsController {
  constructor(private readonly stats: StatsService) {}

  @Get()
  get(@Query() query: unknown) {
    return this.stats.stats(parseStatsQuery(query));
  }
}
