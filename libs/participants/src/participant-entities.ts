import { InventoryOperation } from './inventory/inventory-operation.entity';
import { Reservation } from './inventory/reservation.entity';
import { StockItem } from './inventory/stock-item.entity';
import { StockRelease } from './inventory/stock-release.entity';
import { Message } from './notification/message.entity';
import { NotificationOperation } from './notification/notification-operation.entity';
import { CustomerOrder } from './order/customer-order.entity';
import { OrderCancellation } from './order/order-cancellation.entity';
import { OrderOperation } from './order/order-operation.entity';
import { Product } from './order/product.entity';
import { Charge } from './payment/charge.entity';
import { PaymentOperation } from './payment/payment-operation.entity';
import { Refund } from './payment/refund.entity';
import { Shipment } from './shipping/shipment.entity';
import { ShipmentCancellation } from './shipping/shipment-cancellation.entity';
import { ShippingOperation } from './shipping/shipping-operation.entity';

/** Every demo participant's TypeORM entities, for the app's DataSource `entities`. */
export const participantEntities = [
  OrderOperation,
  Product,
  CustomerOrder,
  OrderCancellation,
  InventoryOperation,
  StockItem,
  Reservation,
  StockRelease,
  PaymentOperation,
  Charge,
  Refund,
  ShippingOperation,
  Shipment,
  ShipmentCancellation,
  NotificationOperation,
  Message,
];
