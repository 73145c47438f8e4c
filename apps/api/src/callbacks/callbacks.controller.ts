import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { CallbackService } from './callback.service';

/** No API key here: the token in the URL is the credential (API.md, "Async steps and callbacks"). */
@Controller('api/v1/callbacks')
export class CallbacksController {
  constructor(private readonly callbacks: CallbackService) {}

  @Post(':token')
  async receive(
    @Param('token') token: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    const outcome = await this.callbacks.receive(token, body);
    res.status(outcome.status);
    return {
      accepted: outcome.status === 202,
      duplicate: outcome.status === 200,
      sagaId: outcome.sagaId,
      step: outcome.step,
    };
  }
}
