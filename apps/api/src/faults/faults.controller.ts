import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Body,
  UseGuards,
  type CanActivate,
  Injectable,
} from '@nestjs/common';
import { z } from 'zod';
import { faultSchema } from './fault-schema';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { SagaException } from '../errors/saga-exception';
import { parseRequest } from '../http/zod-request';
import { ParticipantRegistry } from '../participants/participant-registry';
import { FaultStore } from './fault-store';

/** Without SAGA_FAULTS=enabled the fault routes do not exist: 404, as for any unknown route. */
@Injectable()
export class FaultsEnabledGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}
  canActivate(): boolean {
    if (!this.config.faultsEnabled) throw new NotFoundException('Cannot find this route.');
    return true;
  }
}

@Controller('api/v1/faults')
@UseGuards(FaultsEnabledGuard, ApiKeyGuard)
export class FaultsController {
  constructor(
    private readonly faults: FaultStore,
    private readonly participants: ParticipantRegistry,
  ) {}

  @Post()
  async create(@Body() body: unknown) {
    const f = parseRequest(faultSchema, body, '', 'fault');
    this.participants.assertFaultTarget(f, '');
    return this.faults.create(f);
  }

  @Get()
  list() {
    return this.faults.list();
  }

  @Delete()
  @HttpCode(200)
  async clear() {
    return { deleted: await this.faults.clear() };
  }

  @Delete(':id')
  @HttpCode(200)
  async remove(@Param('id') id: string) {
    parseRequest(z.string().uuid({ message: 'must be a UUID' }), id, 'id', 'fault id');
    if (!(await this.faults.remove(id)))
      throw new SagaException('FAULT_NOT_FOUND', `No fault with id ${id}.`);
    return { deleted: 1 };
  }
}
