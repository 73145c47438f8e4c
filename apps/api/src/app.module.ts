import { Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiKeyGuard } from './auth/api-key.guard';
import { APP_CONFIG, type AppConfig } from './config/app-config';
import { dataSourceOptions } from './database/data-source-options';
import { DATABASE_URL } from './database/database.tokens';
import { CallbackService } from './callbacks/callback.service';
import { CallbackTokens } from './callbacks/callback-tokens';
import { CallbackUrls } from './callbacks/callback-urls';
import { CallbacksController } from './callbacks/callbacks.controller';
import { DeadLettersController } from './events/dead-letters.controller';
import { DeliveryQueues } from './events/delivery-queues';
import { EventDeliveryWorker } from './events/event-delivery.worker';
import { EventStore } from './events/event-store';
import { EventsController } from './events/events.controller';
import { EventsService } from './events/events.service';
import { SubscriptionsController } from './events/subscriptions.controller';
import { DefinitionStore } from './definitions/definition-store';
import { DefinitionsController } from './definitions/definitions.controller';
import { FaultStore } from './faults/fault-store';
import { FaultsController, FaultsEnabledGuard } from './faults/faults.controller';
import { HealthController } from './health/health.controller';
import { ROOT_LOGGER } from './logging/logging.tokens';
import { SagaLogListener } from './logging/saga-log.listener';
import { MetricsController } from './metrics/metrics.controller';
import { SagaMetrics } from './metrics/saga-metrics';
import { ParticipantRegistry } from './participants/participant-registry';
import { ParticipantsController } from './participants/participants.controller';
import { DefinitionRegistry } from './runtime/definition-registry';
import { ParticipantInvoker } from './runtime/participant-invoker';
import { RecoveryService } from './runtime/recovery.service';
import { SagaObserver } from './runtime/saga-observer';
import { SagaRuntime } from './runtime/saga-runtime.service';
import { SagaStore } from './runtime/saga-store';
import { StepProcessor } from './runtime/step.processor';
import { StepQueue } from './runtime/step-queue';
import { SagaStatesController } from './ui/saga-states.controller';
import { UiStaticController } from './ui/ui-static.controller';
import { SagaEventsHub } from './sagas/saga-events.hub';
import { SagasController } from './sagas/sagas.controller';
import { SagasService } from './sagas/sagas.service';
import { StatsController } from './stats/stats.controller';
import { StatsService } from './stats/stats.service';
import type { Logger } from 'pino';

/** StepQueue closes last, after the worker has drained (BeforeApplicationShutdown). */
class ClosingStepQueue extends StepQueue {
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}

@Module({})
export class AppModule {
  /** The whole service; SAGA_ROLE decides whether HTTP routes and/or step workers run. */
  static forRoot(config: AppConfig, databaseUrl: string, rootLogger: Logger): DynamicModule {
    const serveHttp = config.role !== 'worker';
    const providers: Provider[] = [
      { provide: APP_CONFIG, useValue: config },
      { provide: DATABASE_URL, useValue: databaseUrl },
      {
        provide: StepQueue,
        useFactory: () =>
          new ClosingStepQueue({
            databaseUrl,
            redisUrl: config.redisUrl,
            redisPrefix: config.redisPrefix,
          }),
      },
      {
        provide: DeliveryQueues,
        useFactory: () =>
          new DeliveryQueues(
            { databaseUrl, redisUrl: config.redisUrl, redisPrefix: config.redisPrefix },
            config.events,
          ),
      },
      EventStore,
      EventDeliveryWorker,
      EventsService,
      SagaStore,
      DefinitionStore,
      DefinitionRegistry,
      CallbackTokens,
      CallbackUrls,
      CallbackService,
      SagaRuntime,
      SagaObserver,
      FaultStore,
      ParticipantRegistry,
      ParticipantInvoker,
      StepProcessor,
      RecoveryService,
      SagasService,
      SagaEventsHub,
      ApiKeyGuard,
      FaultsEnabledGuard,
      { provide: ROOT_LOGGER, useValue: rootLogger },
      SagaLogListener,
      SagaMetrics,
      StatsService,
    ];
    const controllers: Type[] = serveHttp
      ? [
          SagasController,
          SagaStatesController,
          DefinitionsController,
          CallbacksController,
          ParticipantsController,
          FaultsController,
          EventsController,
          SubscriptionsController,
          DeadLettersController,
          HealthController,
          UiStaticController,
        ]
      : [HealthController];
    if (serveHttp) controllers.push(MetricsController, StatsController);
    return {
      module: AppModule,
      imports: [TypeOrmModule.forRoot(dataSourceOptions(databaseUrl)), TerminusModule],
      providers,
      controllers,
    };
  }
}
