export type { Participant, ParticipantCallContext, ParticipantOperation } from './participant';
export { RetryableStepError, TerminalStepError } from './participant';
export type { DemoParticipantOptions } from './demo-participant-options';
export {
  createDemoParticipants,
  demoParticipantNames,
  demoParticipantOperations,
  isDemoParticipantName,
} from './demo-participants';
export { participantEntities } from './participant-entities';
export { participantMigrations } from './participant-migrations';
export { ParticipantViews } from './participant-views';
export type { LedgerView, StockView } from './participant-views';
export type { ParticipantRecord } from './shared/sql';
export { UnknownParticipantError } from './unknown-participant.error';
export { observeParticipant, participantStateSnapshot } from './participant-observation';
export type { ParticipantObservation } from './participant-observation';
export { participantSchemas } from './shared/participant-schema';
export type { DemoParticipantName } from './shared/participant-schema';
export { refundFeeCents } from './payment/refund-fee';
export type { ValidatedOrder, OrderInvalidation } from './order/order.participant';
export type { StockReservation, StockReleaseResult } from './inventory/inventory.participant';
export type { PaymentCharge, PaymentRefund } from './payment/payment.participant';
export type { ArrangedShipment, ShipmentCancellationResult } from './shipping/shipping.participant';
export type { SentMessage } from './notification/notification.participant';
