/**
 * Asked about a participant that does not exist. The HTTP edge maps `code` to a 404;
 * `name` is set so the kind survives serialization.
 */
export class UnknownParticipantError extends Error {
  override readonly name = 'UnknownParticipantError';
  readonly code = 'UNKNOWN_PARTICIPANT';
  constructor(
    readonly participant: string,
    known: readonly string[],
  ) {
    super(`Unknown participant '${participant}'. Known participants: ${known.join(', ')}.`);
  }
}
