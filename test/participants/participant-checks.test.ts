import {
  checkActionIdempotent,
  checkCompensationIdempotent,
  checkCompensationRestores,
  ParticipantCheckError,
  type ActionCompensationPair,
  type CompensationResidue,
  type ParticipantProbe,
} from '@app/saga-machines/testing';
import {
  demoParticipantNames,
  observeParticipant,
  type DemoParticipantName,
  type Participant,
  type ParticipantCallContext,
  type ParticipantObservation,
} from '@app/participants';
import { pairOf, ParticipantsDatabase } from './participants-harness';

type State = Record<string, unknown>;
const stateOf = (observed: unknown) => (observed as ParticipantObservation).state;

describe('participant checks against the demo participants (real PostgreSQL)', () => {
  let db: ParticipantsDatabase;
  let now: Date;
  let participants: Record<string, Participant>;
  beforeAll(async () => {
    db = await ParticipantsDatabase.open();
    now = new Date('2026-11-26T12:00:00.000Z');
    participants = db.withOptions({ now: () => now });
  });
  afterAll(() => db.close());

  function probe(name: DemoParticipantName): ParticipantProbe<ParticipantCallContext> {
    return {
      invoke: (operation, ctx) => participants[name].operations[operation](ctx),
      observe: () => observeParticipant(db.dataSource, name),
    };
  }

  /** A fresh saga's call pair for `name`, after the earlier steps it depends on have run. */
  async function freshPair(
    name: DemoParticipantName,
  ): Promise<ActionCompensationPair<ParticipantCallContext>> {
    const saga = db.saga();
    // Payment charges the total that order validation computed.
    if (name === 'payment') await saga.execute('order');
    return {
      ...pairOf[name],
      actionContext: saga.executeContext(name),
      compensationContext: (actionOutput) => ({
        ...saga.compensateContext(name),
        forwardOutput: actionOutput,
      }),
    };
  }

  /** What each business compensation leaves behind on purpose; perfect ones have none. */
  const residues = (sagaId: string): Partial<Record<DemoParticipantName, CompensationResidue>> => ({
    payment: {
      name: 'processing fee kept by the payment service',
      expectedAfter: ({ before, compensationOutput }) => ({
        ...(before as State),
        netCollectedCents:
          ((before as State).netCollectedCents as number) +
          (compensationOutput as { feeCents: number }).feeCents,
      }),
    },
    notification: {
      name: 'a sent message cannot be unsent: a cancellation message follows the confirmation',
      expectedAfter: ({ before }) => {
        const messages = (before as { messages: object[] }).messages;
        return {
          messages: [
            ...messages,
            { sagaId, kind: 'confirmation', recipient: 'c-42' },
            { sagaId, kind: 'cancellation', recipient: 'c-42' },
          ],
        };
      },
    },
  });

  describe.each(demoParticipantNames)('%s', (name) => {
    it('(c) action called twice: the second call changes nothing and returns the first result', async () => {
      const result = await checkActionIdempotent(probe(name), await freshPair(name));
      expect(result.secondResult).toEqual(result.firstResult);
    });

    it('(a) compensation called twice: the second call changes nothing and returns the first result', async () => {
      const result = await checkCompensationIdempotent(probe(name), await freshPair(name));
      expect(result.secondResult).toEqual(result.firstResult);
    });

    const declared = residues('')[name];
    it(`(b) action then compensation: the state before is restored${
      declared ? `, up to '${declared.name}'` : ' exactly'
    }`, async () => {
      const pair = await freshPair(name);
      const result = await checkCompensationRestores(probe(name), pair, {
        stateOf,
        residue: residues(pair.actionContext.sagaId)[name],
      });
      expect(result.kind).toBe(declared ? 'business' : 'perfect');
    });
  });

  it('(b) shipping cancelled after the cut-off: restored up to the declared late-cancellation fee', async () => {
    const shipping = probe('shipping');
    const pair = await freshPair('shipping');
    const late: ActionCompensationPair<ParticipantCallContext> = {
      ...pair,
      compensationContext: (output) => {
        now = new Date(now.getTime() + 11 * 60_000); // the clock passes the 10-minute cut-off
        return pair.compensationContext(output);
      },
    };
    const result = await checkCompensationRestores(shipping, late, {
      stateOf,
      residue: {
        name: 'late-cancellation fee charged after the dispatch cut-off',
        expectedAfter: ({ before, compensationOutput }) => ({
          ...(before as State),
          cancellationFeesCents:
            ((before as State).cancellationFeesCents as number) +
            (compensationOutput as { feeCents: number }).feeCents,
        }),
      },
    });
    expect(result.compensationOutput).toMatchObject({ feeCents: 500, afterCutoff: true });
  });

  it('(b) payment checked as a perfect compensation: fails, naming the fee it kept', async () => {
    const failure = checkCompensationRestores(probe('payment'), await freshPair('payment'), {
      stateOf,
    });
    await expect(failure).rejects.toBeInstanceOf(ParticipantCheckError);
    await expect(failure).rejects.toThrow(/perfect compensation was expected.*netCollectedCents/);
  });
});

describe('participant checks catch a misbehaving participant (in memory)', () => {
  /** A counter participant whose idempotency can be switched off, to prove the checks bite. */
  function counter(options: { idempotent: boolean; undoes: boolean }): ParticipantProbe<string> {
    let count = 0;
    const seen = new Map<string, unknown>();
    const once = (key: string, effect: () => unknown) => {
      if (options.idempotent && seen.has(key)) return seen.get(key);
      const result = effect();
      seen.set(key, result);
      return result;
    };
    return {
      invoke: async (operation, key) =>
        operation === 'add'
          ? once(key, () => ({ count: ++count }))
          : once(key, () => ({ count: options.undoes ? --count : count })),
      observe: async () => ({ count }),
    };
  }
  const pair: ActionCompensationPair<string> = {
    action: 'add',
    compensation: 'undo',
    actionContext: 'k:execute',
    compensationContext: () => 'k:compensate',
  };

  it('a well-behaved participant: all three checks pass', async () => {
    await checkActionIdempotent(counter({ idempotent: true, undoes: true }), pair);
    await checkCompensationIdempotent(counter({ idempotent: true, undoes: true }), pair);
    await expect(
      checkCompensationRestores(counter({ idempotent: true, undoes: true }), pair),
    ).resolves.toMatchObject({ kind: 'perfect', residue: null });
  });

  it('an action that applies twice: checkActionIdempotent throws', async () => {
    await expect(
      checkActionIdempotent(counter({ idempotent: false, undoes: true }), pair),
    ).rejects.toThrow(/checkActionIdempotent: a repeated add returned a different result/);
  });

  it('a compensation that applies twice: checkCompensationIdempotent throws', async () => {
    await expect(
      checkCompensationIdempotent(counter({ idempotent: false, undoes: true }), pair),
    ).rejects.toThrow(/checkCompensationIdempotent: .*undo/);
  });

  it('a compensation that undoes nothing: checkCompensationRestores throws at $.count', async () => {
    await expect(
      checkCompensationRestores(counter({ idempotent: true, undoes: false }), pair),
    ).rejects.toThrow(/first difference at \$\.count/);
  });
});
