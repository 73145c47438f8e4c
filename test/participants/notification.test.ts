import { ParticipantsDatabase } from './participants-harness';

describe('notification participant (real PostgreSQL)', () => {
  let db: ParticipantsDatabase;
  beforeAll(async () => {
    db = await ParticipantsDatabase.open();
  });
  afterAll(() => db.close());

  it('send_confirmation: records one confirmation message to the customer', async () => {
    const saga = db.saga();
    const output = await saga.execute('notification');
    expect(output).toEqual({ messageId: expect.any(String), kind: 'confirmation' });
    expect(await db.views.records('notification', saga.sagaId)).toEqual([
      {
        kind: 'message',
        status: 'sent',
        idempotencyKey: `${saga.sagaId}:send_notification:execute`,
        at: expect.stringMatching(/Z$/),
        data: {
          messageId: output.messageId,
          kind: 'confirmation',
          recipient: 'c-42',
          body: expect.stringContaining('confirmed'),
        },
      },
    ]);
  });

  it('send_cancellation after a confirmation: a cancellation message follows it', async () => {
    const saga = db.saga();
    await saga.execute('notification');
    expect(await saga.compensate('notification')).toEqual({
      messageId: expect.any(String),
      kind: 'cancellation',
    });
    const records = await db.views.records('notification', saga.sagaId);
    expect(records.map((r) => r.data.kind)).toEqual(['confirmation', 'cancellation']);
  });

  it('both sends delivered three times at once: one message each', async () => {
    const saga = db.saga();
    const send = saga.executeContext('notification');
    const cancel = saga.compensateContext('notification');
    await Promise.all([
      db.call('notification', 'send_confirmation', send),
      db.call('notification', 'send_confirmation', send),
      db.call('notification', 'send_confirmation', send),
    ]);
    await Promise.all([
      db.call('notification', 'send_cancellation', cancel),
      db.call('notification', 'send_cancellation', cancel),
      db.call('notification', 'send_cancellation', cancel),
    ]);
    expect(await db.views.records('notification', saga.sagaId)).toHaveLength(2);
  });
});
