// POST /api/v1/callbacks/:token: an async participant reports the outcome of the work it
// accepted. The token says which saga, step, kind and round it is for (CallbackTokens); the
// saga decides whether it still waits for that. The receipt of a callback is written in the
// same transaction as the event it applies, so a repeat is recognised and changes nothing.
import { Inject, Injectable } from '@nestjs/common';
import {
  attemptFailedEvent,
  attemptSucceededEvent,
  countedAttempts,
  isFinalFailure,
  pendingCommands,
  type PersistedSagaSnapshot,
  type SagaEvent,
} from '@app/saga-machines';
import { z } from 'zod';
import { canonicalHash } from '../common/canonical-json';
import { SagaException } from '../errors/saga-exception';
import { parseRequest } from '../http/zod-request';
import { SagaRuntime } from '../runtime/saga-runtime.service';
import { SagaStore } from '../runtime/saga-store';
import { sagaBackoff, StepQueue } from '../runtime/step-queue';
import { CallbackTokens } from './callback-tokens';

const callbackBodySchema = z.discriminatedUnion(
  'status',
  [
    z
      .object({
        status: z.literal('succeeded'),
        output: z.unknown().optional(),
      })
      .strict(),
    z
      .object({
        status: z.literal('failed'),
        error: z
          .object({
            code: z.string().min(1).max(200),
            message: z.string().max(2000).optional(),
          })
          .strict(),
        retryable: z.boolean().optional(),
      })
      .strict(),
  ],
  { error: 'status must be "succeeded" or "failed"' },
);

export type CallbackOutcome = { status: 202 | 200; sagaId: string; step: string };

@Injectable()
export class CallbackService {
  constructor(
    private readonly tokens: CallbackTokens,
    private readonly runtime: SagaRuntime,
    private readonly store: SagaStore,
    @Inject(StepQueue) private readonly queue: StepQueue,
  ) {}

  async receive(token: string, body: unknown): Promise<CallbackOutcome> {
    const binding = this.tokens.verify(token);
    // Forged, altered or made up: indistinguishable from a token that never existed.
    if (!binding) throw new SagaException('CALLBACK_NOT_FOUND', 'No such callback.');
    const report = parseRequest(callbackBodySchema, body, '', 'callback body');
    const receiptKey = canonicalHash({ token, report });
    const { sagaId, step, kind } = binding;
    const answer = (status: 202 | 200): CallbackOutcome => ({ status, sagaId, step });

    for (let round = 0; round < 5; round++) {
      const saga = await this.runtime.load(sagaId).catch((err: unknown) => {
        if (err instanceof SagaException && err.code === 'SAGA_NOT_FOUND') {
          throw new SagaException('CALLBACK_NOT_FOUND', 'No such callback.');
        }
        throw err;
      });
      if (await this.store.hasCallbackReceipt(receiptKey)) return answer(200);
      const definition = await this.runtime.definitionOf(saga);
      const retryRound = (saga.snapshot as PersistedSagaSnapshot).context.retryRound;
      const command = pendingCommands(definition, saga.snapshot as never).find(
        (c) =>
          c.step === step &&
          c.kind === kind &&
          (c.item?.index ?? null) === (binding.item ?? null) &&
          c.async,
      );
      if (!command || retryRound !== binding.round) {
        throw new SagaException(
          'STATE_CONFLICT',
          `Saga ${sagaId} no longer waits for ${step} (${kind}): it is ${saga.state}. The callback came too late (after the step's timeout, a cancel or another outcome).`,
        );
      }
      const snapshot = saga.snapshot as PersistedSagaSnapshot;
      const attempt = countedAttempts(snapshot.context, command) + 1;
      const at = new Date().toISOString();
      const event: SagaEvent =
        report.status === 'succeeded'
          ? attemptSucceededEvent(command, attempt, report.output, at)
          : attemptFailedEvent(
              command,
              attempt,
              {
                code: report.error.code,
                message: report.error.message ?? `${step} reported ${report.error.code}`,
                retryable: report.retryable === true,
              },
              at,
            );
      const retryLater = report.status === 'failed' && !isFinalFailure(event);
      const outcome = await this.runtime.apply(sagaId, event, 'client', {
        lastRead: saga,
        inTransaction: (m) => this.store.insertCallbackReceipt(m, receiptKey, binding),
      });
      if (outcome.applied) {
        // The step job sleeps until the attempt's deadline: wake it for the next attempt now.
        if (retryLater) {
          await this.queue
            .wakeAfter(
              command.dispatchId,
              sagaBackoff(attempt, command.retry.backoffMs, command.retry.maxBackoffMs),
            )
            .catch(() => undefined);
        }
        return answer(202);
      }
      if (outcome.reason === 'vetoed') return answer(200);
      // Ignored by the machine: the saga moved meanwhile; look again.
    }
    throw new SagaException(
      'STATE_CONFLICT',
      `Saga ${sagaId} kept changing while the callback was applied: send it again.`,
    );
  }
}
