// Calls a participant for one attempt of a command: under the step's timeout (BullMQ 6 has
// no per-job timeout), after any injected fault, turning every outcome into a StepError.
import { Inject, Injectable } from '@nestjs/common';
import type { SagaCommand, StepError } from '@app/saga-machines';
import {
  RetryableStepError,
  TerminalStepError,
  type ParticipantCallContext,
} from '@app/participants';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { FaultStore, type ConsumedFault } from '../faults/fault-store';
import { ParticipantRegistry } from '../participants/participant-registry';

/** The attempt ran past the step's timeout: a retryable failed attempt. */
export class StepTimeoutError extends Error {
  override readonly name = 'StepTimeoutError';
  readonly code = 'TIMEOUT';
}

export type CallContext = Omit<ParticipantCallContext, 'signal'>;

/** Maps anything a participant threw to the StepError the machine records. */
export function toStepError(err: unknown): StepError {
  const e = err as { name?: string; code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  // Match on name as well as class: errors may have crossed a serialization boundary.
  if (err instanceof TerminalStepError || e?.name === 'TerminalStepError') {
    return { code: String(e.code ?? 'STEP_FAILED'), message, retryable: false };
  }
  if (err instanceof RetryableStepError || e?.name === 'RetryableStepError') {
    return { code: String(e.code ?? 'STEP_ERROR'), message, retryable: true };
  }
  if (err instanceof StepTimeoutError || e?.name === 'StepTimeoutError') {
    return { code: 'TIMEOUT', message, retryable: true };
  }
  return { code: 'PARTICIPANT_ERROR', message, retryable: true };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), {
      once: true,
    });
  });
}

function injected({ mode }: ConsumedFault, signal: AbortSignal): Promise<never> {
  if (mode === 'fail') {
    return Promise.reject(new TerminalStepError('INJECTED_FAULT', 'injected fault (fail)'));
  }
  if (mode === 'transient') {
    return Promise.reject(
      new RetryableStepError('INJECTED_TRANSIENT_FAULT', 'injected fault (transient)'),
    );
  }
  // 'timeout': hang until the attempt's timeout aborts us.
  return new Promise((_, reject) =>
    signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
  );
}

@Injectable()
export class ParticipantInvoker {
  constructor(
    private readonly participants: ParticipantRegistry,
    private readonly faults: FaultStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** One attempt; resolves with the participant's output or rejects (see toStepError). */
  async invoke(command: SagaCommand, ctx: CallContext, shutdown?: AbortSignal): Promise<unknown> {
    const operation = this.participants.operation(command.participant, command.operation);
    const controller = new AbortController();
    const timer = setTimeout(
      () =>
        controller.abort(
          new StepTimeoutError(
            `${command.step} ${command.kind} timed out after ${command.timeoutMs} ms`,
          ),
        ),
      command.timeoutMs,
    );
    const onShutdown = () => controller.abort(new StepTimeoutError('worker shutting down'));
    shutdown?.addEventListener('abort', onShutdown, { once: true });
    const aborted = new Promise<never>((_, reject) =>
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), {
        once: true,
      }),
    );
    try {
      const fault = this.config.faultsEnabled
        ? await this.faults.consume(command.participant, command.operation, command.sagaId)
        : null;
      const signal = controller.signal;
      const hold = fault?.delayMs ? sleep(fault.delayMs, signal) : Promise.resolve();
      const call = hold.then(() =>
        !fault || fault.mode === 'delay' ? operation({ ...ctx, signal }) : injected(fault, signal),
      );
      // The participant may finish after the timeout; its idempotency key makes the next
      // attempt return that first result instead of doing the work twice.
      call.catch(() => undefined);
      return await Promise.race([call, aborted]);
    } finally {
      clearTimeout(timer);
      shutdown?.removeEventListener('abort', onShutdown);
    }
  }
}
