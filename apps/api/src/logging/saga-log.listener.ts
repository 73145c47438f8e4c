// Logs what the runtime reports: one JSON line per committed transition and per participant
// attempt. Every line carries sagaId, definition, step and attempt (null when the event has
// none, e.g. START or CANCEL), so `jq 'select(.sagaId=="…")'` tells a saga's whole story.
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { isFinalStatus } from '@app/saga-machines';
import type { Logger } from 'pino';
import {
  SagaObserver,
  type AttemptObserved,
  type TransitionObserved,
} from '../runtime/saga-observer';
import { StepQueue } from '../runtime/step-queue';
import { ROOT_LOGGER } from './logging.tokens';

const WARN_EVENTS = new Set([
  'STEP_ATTEMPT_FAILED',
  'STEP_FAILED',
  'COMPENSATION_ATTEMPT_FAILED',
  'COMPENSATION_FAILED',
]);

@Injectable()
export class SagaLogListener implements OnModuleInit {
  private readonly log: Logger;

  constructor(
    @Inject(ROOT_LOGGER) root: Logger,
    private readonly observer: SagaObserver,
    @Inject(StepQueue) private readonly queue: StepQueue,
  ) {
    this.log = root.child({ component: 'saga' });
  }

  onModuleInit(): void {
    this.observer.on('transition', (t) => this.transition(t));
    this.observer.on('attempt', (a) => this.attempt(a));
    // Without a listener BullMQ prints queue connection errors (e.g. the database going away)
    // with console.error as multi-line dumps; as JSON lines they can be searched.
    this.queue.queue.on('error', (err) =>
      this.log.error(
        {
          component: 'queue',
          backend: this.queue.backend,
          err: { message: err.message, code: (err as { code?: string }).code },
        },
        'step queue error',
      ),
    );
  }

  private transition(t: TransitionObserved): void {
    const { event, result } = t;
    const step = 'step' in event ? event.step : (result.commands[0]?.step ?? null);
    const attempt = 'attempt' in event ? event.attempt : null;
    const fields = {
      sagaId: t.sagaId,
      definition: t.definition,
      step,
      attempt,
      event: event.type,
      from: t.from,
      status: result.view.status,
      state: result.view.state,
      ...('error' in event ? { errorCode: event.error.code } : {}),
      ...(result.commands.length
        ? { next: result.commands.map((c) => `${c.kind}:${c.step}`) }
        : {}),
    };
    const failed =
      WARN_EVENTS.has(event.type) || (result.view.status === 'FAILED' && t.from !== 'FAILED');
    const becameFinal = isFinalStatus(result.view.status) && t.from !== result.view.status;
    const msg = becameFinal ? `saga ${result.view.status}` : `saga ${event.type}`;
    if (failed) this.log.warn(fields, msg);
    else this.log.info(fields, msg);
  }

  private attempt(a: AttemptObserved): void {
    const fields = {
      sagaId: a.command.sagaId,
      definition: a.definition,
      step: a.command.step,
      attempt: a.attempt,
      kind: a.command.kind,
      participant: a.command.participant,
      operation: a.command.operation,
      outcome: a.outcome,
      durationMs: Math.round(a.durationMs * 10) / 10,
      errorCode: a.errorCode,
    };
    const msg = `${a.command.kind === 'execute' ? 'step' : 'compensation'} attempt ${a.outcome}`;
    if (a.outcome === 'succeeded') this.log.info(fields, msg);
    else this.log.warn(fields, msg);
  }
}
