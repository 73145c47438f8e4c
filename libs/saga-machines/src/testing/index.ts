export {
  checkActionIdempotent,
  checkCompensationIdempotent,
  checkCompensationRestores,
  firstDifference,
  ParticipantCheckError,
  type ActionCompensationPair,
  type CompensationResidue,
  type IdempotencyCheckResult,
  type ParticipantProbe,
  type RestoreCheckResult,
} from './participant-checks';
