import { CreateInventoryService1764000200000 } from './inventory/migrations/1764000200000-create-inventory-service';
import { CreateNotificationService1764000500000 } from './notification/migrations/1764000500000-create-notification-service';
import { CreateOrderService1764000100000 } from './order/migrations/1764000100000-create-order-service';
import { CreatePaymentService1764000300000 } from './payment/migrations/1764000300000-create-payment-service';
import { CreateShippingService1764000400000 } from './shipping/migrations/1764000400000-create-shipping-service';

/**
 * Every demo participant's migrations, for the app's DataSource `migrations`. Each creates
 * its own schema and touches nothing else, so they run in any order next to the saga's.
 */
export const participantMigrations = [
  CreateOrderService1764000100000,
  CreateInventoryService1764000200000,
  CreatePaymentService1764000300000,
  CreateShippingService1764000400000,
  CreateNotificationService1764000500000,
];
