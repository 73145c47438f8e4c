// Calls a participant for one attempt of a command: under the step's timeout (BullMQ 6 has
// no per-job timeout), after any injected fault, turning every outcome into a StepError.
import { Inject, Injectable } from '@nestjs/common';
import type { SagaCommand, SagaDefinition, StepError } from '@app/saga-machines';
import {
  RetryableStepError,
  TerminalStepError,
  type ParticipantCallContext,
} from '@app/participants';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { FaultStore, type ConsumedFault } from '../faults/fault-store';
import {
  HttpParticipantClient,
  ParticipantRetryLaterError,
  participantSignature,
} from '../participants/http-participant-client';
import { ParticipantRegistry } from '../participants/participant-registry';

/** The attempt ran past the step's timeout: a retryable failed attempt. */
export class StepTimeoutError extends Error {
  override readonly name = 'StepTimeoutError';
  readonly code = 'TIMEOUT';
}

export type CallContext = Omit<ParticipantCallContext, 'signal'> & {
  /** Where an async participant reports the outcome (async commands only). */
  callbackUrl?: string;
  /** forEach steps: the item this invocation is for. */
  item?: { index: number; value: unknown };
};

/** A StepError, plus how long the participant asked to wait before the next attempt. */
export type InvocationError = StepError & { retryAfterMs?: number };

/** Maps anything a participant threw to the StepError the machine records. */
export function toStepError(err: unknown): StepError {
  const e = err as { name?: string; code?: unknown; message?: unknown };
  if (err instanceof ParticipantRetryLaterError) {
    return { code: err.code, message: err.message, retryable: true };
  }
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

/** The pause a participant asked for (Retry-After) before the next attempt, if any. */
export function retryAfterOf(err: unknown): number | undefined {
  return err instanceof ParticipantRetryLaterError ? err.retryAfterMs : undefined;
}

@Injectable()
export class ParticipantInvoker {
  private readonly http: HttpParticipantClient;

  constructor(
    private readonly participants: ParticipantRegistry,
    private readonly faults: FaultStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.http = new HttpParticipantClient(config.participantHosts ?? { kind: 'loopback' });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.http.close();
  }

  /** The operation to run: a built-in participant's, or a POST to the definition's HTTP one. */
  private operationFor(
    definition: SagaDefinition | undefined,
    command: SagaCommand,
  ): (ctx: CallContext & { signal: AbortSignal }) => Promise<unknown> {
    const http = definition?.participants?.[command.participant];
    if (!http || !Object.hasOwn(definition.participants!, command.participant)) {
      return this.participants.operation(command.participant, command.operation);
    }
    return (ctx) => {
      const body = JSON.stringify({
        sagaId: ctx.sagaId,
        definition: definition!.name,
        definitionVersion: definition!.version,
        step: ctx.step,
        kind: ctx.kind,
        operation: command.operation,
        attempt: ctx.attempt,
        idempotencyKey: ctx.idempotencyKey,
        input: ctx.input,
        outputs: ctx.outputs,
        ...(ctx.kind === 'compensate' ? { forwardOutput: ctx.forwardOutput ?? null } : {}),
        ...(ctx.item ? { item: ctx.item.value, itemIndex: ctx.item.index } : {}),
        ...(ctx.callbackUrl ? { callbackUrl: ctx.callbackUrl } : {}),
      });
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        accept: 'application/json',
        'idempotency-key': ctx.idempotencyKey,
        'x-saga-id': ctx.sagaId,
        'x-saga-step': ctx.step,
        'x-saga-attempt': String(ctx.attempt),
      };
      if (this.config.signingSecret) {
        headers['x-saga-signature'] = participantSignature(this.config.signingSecret, body);
      }
      return this.http.call({
        url: http.url,
        operation: command.operation,
        headers,
        body,
        signal: ctx.signal,
      });
    };
  }

  /** One attempt; resolves with the participant's output or rejects (see toStepError). */
  async invoke(
    command: SagaCommand,
    ctx: CallContext,
    shutdown?: AbortSignal,
    definition?: SagaDefinition,
  ): Promise<unknown> {
    const operation = this.operationFor(definition, command);
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
