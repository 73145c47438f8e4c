// What happened in the runtime, for whoever watches (metrics, logs): a typed in-process
// event emitter. Observers must never throw into the runtime, so emit() swallows their errors.
import { Injectable, Logger } from '@nestjs/common';
import type { SagaCommand, SagaEvent, SagaStepResult } from '@app/saga-machines';
import { EventEmitter } from 'node:events';

export interface TransitionObserved {
  sagaId: string;
  definition: string;
  event: SagaEvent;
  /** Status before the event. */
  from: string;
  result: SagaStepResult;
}

export interface AttemptObserved {
  command: SagaCommand;
  definition: string;
  attempt: number;
  durationMs: number;
  outcome: 'succeeded' | 'failed' | 'retrying';
  errorCode: string | null;
}

export interface SagaObserverEvents {
  /** A saga was created (after commit). */
  started: [{ sagaId: string; definition: string }];
  /** An event was applied and committed. */
  transition: [TransitionObserved];
  /** One participant call finished. */
  attempt: [AttemptObserved];
}

@Injectable()
export class SagaObserver {
  private readonly log = new Logger(SagaObserver.name);
  private readonly emitter = new EventEmitter();

  on<K extends keyof SagaObserverEvents>(
    name: K,
    fn: (...args: SagaObserverEvents[K]) => void,
  ): void {
    this.emitter.on(name, fn as (...args: unknown[]) => void);
  }

  emit<K extends keyof SagaObserverEvents>(name: K, ...args: SagaObserverEvents[K]): void {
    try {
      this.emitter.emit(name, ...args);
    } catch (err) {
      this.log.warn(`observer of ${name} failed: ${(err as Error).message}`);
    }
  }
}
