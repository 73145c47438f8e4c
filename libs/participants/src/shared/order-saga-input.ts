import { TerminalStepError, type ParticipantCallContext } from '../participant';

/** One ordered line of the `order` saga's input. */
export interface OrderItem {
  sku: string;
  quantity: number;
}

/** The `order` saga's input (API.md, "The demo saga `order`"), as the participants read it. */
export interface OrderSagaInput {
  customerId: string;
  items: OrderItem[];
  payment: { token: string };
  shippingAddress: { line1: string; city: string; postalCode: string };
}

/**
 * The saga input of a call, checked just enough that a malformed one fails as a terminal
 * step error instead of a database error. The API validates it fully before the saga starts.
 */
export function orderSagaInput(ctx: ParticipantCallContext): OrderSagaInput {
  const input = ctx.input as Partial<OrderSagaInput> | null | undefined;
  const itemsOk =
    Array.isArray(input?.items) &&
    input.items.length > 0 &&
    input.items.every(
      (item) =>
        typeof item?.sku === 'string' && Number.isSafeInteger(item.quantity) && item.quantity > 0,
    );
  if (
    !input ||
    typeof input.customerId !== 'string' ||
    !itemsOk ||
    typeof input.payment?.token !== 'string' ||
    typeof input.shippingAddress?.postalCode !== 'string'
  ) {
    throw new TerminalStepError(
      'INVALID_INPUT',
      `Saga ${ctx.sagaId}: step '${ctx.step}' got an input that is not an order ` +
        '({ customerId, items: [{ sku, quantity }], payment: { token }, shippingAddress }).',
    );
  }
  return input as OrderSagaInput;
}

/**
 * Adds up the quantities of repeated SKUs and sorts by SKU. Sorting matters: concurrent
 * sagas then lock stock rows in the same order and cannot deadlock each other.
 */
export function mergeItems(items: readonly OrderItem[]): OrderItem[] {
  const bySku = new Map<string, number>();
  for (const { sku, quantity } of items) bySku.set(sku, (bySku.get(sku) ?? 0) + quantity);
  return [...bySku.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([sku, quantity]) => ({ sku, quantity }));
}
