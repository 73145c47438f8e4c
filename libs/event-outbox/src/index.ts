export { createOutbox } from './outbox';
export type {
  Outbox,
  OutboxEvent,
  OutboxOptions,
  Queryable,
  RelayOptions,
  RelayReport,
  RunningRelayOptions,
} from './outbox';
