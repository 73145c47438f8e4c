import { Body, Controller, Get, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { EventsService } from './events.service';

/** `/api/v1/events`: publish (idempotent by the event id) and read events with their deliveries. */
@Controller('api/v1/events')
@UseGuards(ApiKeyGuard)
export class EventsController {
  constructor(private readonly events: EventsService) {}

  /** 202: stored, deliveries under way; 200: the same event was published before. */
  @Post()
  async publish(@Body() body: unknown, @Res({ passthrough: true }) res: Response) {
    const { created, event } = await this.events.publish(body);
    res.status(created ? 202 : 200);
    res.setHeader('Location', `/api/v1/events/${encodeURIComponent(event.id)}`);
    return event;
  }

  @Get()
  list(@Query() query: unknown) {
    return this.events.list(query);
  }

  @Get(':id')
  get(@Param('id') id: string) {
    return this.events.get(id);
  }
}
