import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { Response } from 'express';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { EventsService } from './events.service';

/** `/api/v1/subscriptions`: where events of a type are delivered. */
@Controller('api/v1/subscriptions')
@UseGuards(ApiKeyGuard)
export class SubscriptionsController {
  constructor(private readonly events: EventsService) {}

  /** 201: subscribed; 200: the same type and URL were subscribed already (no second delivery). */
  @Post()
  async subscribe(@Body() body: unknown, @Res({ passthrough: true }) res: Response) {
    const { created, sub } = await this.events.subscribe(body);
    res.status(created ? 201 : 200);
    res.setHeader('Location', `/api/v1/subscriptions/${sub.id}`);
    return sub;
  }

  @Get()
  list() {
    return this.events.subscriptions();
  }

  @Delete(':id')
  @HttpCode(200)
  unsubscribe(@Param('id') id: string) {
    return this.events.unsubscribe(id);
  }
}
