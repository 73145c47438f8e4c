import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { EventsService } from './events.service';

/** `/api/v1/dead-letters`: deliveries that were refused for good or ran out of attempts. */
@Controller('api/v1/dead-letters')
@UseGuards(ApiKeyGuard)
export class DeadLettersController {
  constructor(private readonly events: EventsService) {}

  @Get()
  list(@Query() query: unknown) {
    return this.events.deadLetters(query);
  }

  /** 202: pending again, with fresh attempts. */
  @Post(':eventId/:subscriptionId/redeliver')
  @HttpCode(202)
  redeliver(@Param('eventId') eventId: string, @Param('subscriptionId') subscriptionId: string) {
    return this.events.redeliver(eventId, subscriptionId);
  }
}
