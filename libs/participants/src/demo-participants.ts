import type { DataSource } from 'typeorm';
import {
  resolveDemoParticipantOptions,
  type DemoParticipantOptions,
} from './demo-participant-options';
import { createInventoryParticipant } from './inventory/inventory.participant';
import { createNotificationParticipant } from './notification/notification.participant';
import { createOrderParticipant } from './order/order.participant';
import type { Participant } from './participant';
import { createPaymentParticipant } from './payment/payment.participant';
import type { DemoParticipantName } from './shared/participant-schema';
import { createShippingParticipant } from './shipping/shipping.participant';

/** The demo participants' names, in the order the `order` saga calls them. */
export const demoParticipantNames: readonly DemoParticipantName[] = [
  'order',
  'inventory',
  'payment',
  'shipping',
  'notification',
];

/** Each demo participant's operation names (actions and compensations), e.g. to vet faults. */
export const demoParticipantOperations: Readonly<Record<DemoParticipantName, readonly string[]>> = {
  order: ['validate', 'invalidate'],
  inventory: ['reserve', 'release'],
  payment: ['charge', 'refund'],
  shipping: ['arrange', 'cancel'],
  notification: ['send_confirmation', 'send_cancellation'],
};

/**
 * The five demo participant services of API.md, working on `dataSource`, which must hold
 * `participantEntities` and have run `participantMigrations`.
 */
export function createDemoParticipants(
  dataSource: DataSource,
  options?: DemoParticipantOptions,
): Participant[] {
  const resolved = resolveDemoParticipantOptions(options);
  return [
    createOrderParticipant(dataSource),
    createInventoryParticipant(dataSource),
    createPaymentParticipant(dataSource, resolved),
    createShippingParticipant(dataSource, resolved),
    createNotificationParticipant(dataSource),
  ];
}

/** Whether `name` is one of the demo participants. */
export function isDemoParticipantName(name: string): name is DemoParticipantName {
  return (demoParticipantNames as readonly string[]).includes(name);
}
