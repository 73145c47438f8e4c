// The random (seeded) mix of order sagas a soak runs: every failure rule of API.md's demo
// participants, multi-item orders, saga-scoped transient/timeout/fail faults, and cancels.
import type { Rng } from './rng';

/** A business rule of API.md's demo saga that decides how an order ends without faults. */
export type OrderRule =
  'ok' | 'flaky' | 'unknown_sku' | 'out_of_stock' | 'card_declined' | 'address';

export interface PlannedFault {
  participant: string;
  action: string;
  mode: 'fail' | 'transient' | 'timeout';
  times: number;
}

export interface OrderItem {
  sku: string;
  quantity: number;
}

export interface SagaPlan {
  index: number;
  definition: 'order';
  rule: OrderRule;
  input: {
    customerId: string;
    items: OrderItem[];
    payment: { token: string };
    shippingAddress: { line1: string; city: string; postalCode: string };
  };
  faults: PlannedFault[];
  /** POST /cancel this long after the saga was created; null: never. */
  cancelAfterMs: number | null;
  /** Labels for the outcome mix (multi-item, transient, timeout, forward-fault, compensation-fault, cancel). */
  tags: string[];
  /**
   * What API.md's rules say the saga ends as, for sagas whose faults are all recoverable and
   * that are not cancelled; null otherwise.
   */
  expected: {
    status: 'COMPLETED' | 'COMPENSATED';
    step: string | null;
    code: string | null;
  } | null;
}

export interface MixOptions {
  /** Share of sagas with one `timeout` fault (each costs a step timeout, ~5 s). */
  timeoutRate: number;
  /** Share of sagas cancelled shortly after creation. */
  cancelRate: number;
}

/** The catalog seeded by the demo participants (API.md). */
export const CATALOG: Record<string, { priceCents: number; stock: number }> = {
  'IPHONE-15': { priceCents: 7_990_000, stock: 1_000_000 },
  AIRPODS: { priceCents: 2_490_000, stock: 1_000_000 },
  'SOLD-OUT': { priceCents: 100_000, stock: 0 },
};

/** The order's steps, in order, with the participant operation of each side. */
export const ORDER_STEPS = [
  {
    step: 'validate_order',
    participant: 'order',
    action: 'validate',
    compensation: 'invalidate',
    maxAttempts: 3,
  },
  {
    step: 'reserve_inventory',
    participant: 'inventory',
    action: 'reserve',
    compensation: 'release',
    maxAttempts: 3,
  },
  {
    step: 'process_payment',
    participant: 'payment',
    action: 'charge',
    compensation: 'refund',
    maxAttempts: 4,
  },
  {
    step: 'arrange_shipping',
    participant: 'shipping',
    action: 'arrange',
    compensation: 'cancel',
    maxAttempts: 3,
  },
  {
    step: 'send_notification',
    participant: 'notification',
    action: 'send_confirmation',
    compensation: 'send_cancellation',
    maxAttempts: 3,
  },
] as const;

const RULE_WEIGHTS: Record<OrderRule, number> = {
  ok: 52,
  flaky: 10,
  unknown_sku: 8,
  out_of_stock: 8,
  card_declined: 8,
  address: 8,
};

const RULE_FAILURE: Record<OrderRule, { step: string; code: string } | null> = {
  ok: null,
  flaky: null,
  unknown_sku: { step: 'validate_order', code: 'UNKNOWN_SKU' },
  out_of_stock: { step: 'reserve_inventory', code: 'OUT_OF_STOCK' },
  card_declined: { step: 'process_payment', code: 'CARD_DECLINED' },
  address: { step: 'arrange_shipping', code: 'ADDRESS_NOT_SERVICEABLE' },
};

function items(rng: Rng, rule: OrderRule): { items: OrderItem[]; multi: boolean } {
  const shape = rng.weighted({ iphone: 60, both: 30, airpods: 10 });
  const list: OrderItem[] = [];
  if (shape !== 'airpods') list.push({ sku: 'IPHONE-15', quantity: rng.int(1, 2) });
  if (shape !== 'iphone') list.push({ sku: 'AIRPODS', quantity: rng.int(1, 3) });
  // The same SKU on two lines: the participants merge them.
  if (rng.chance(0.05)) list.push({ sku: list[0].sku, quantity: 1 });
  if (rule === 'unknown_sku') list.push({ sku: `NO-SUCH-${rng.int(1, 999)}`, quantity: 1 });
  if (rule === 'out_of_stock') list.push({ sku: 'SOLD-OUT', quantity: 1 });
  return { items: list, multi: list.length > 1 };
}

/** Builds saga `index` of the run; the same rng state gives the same plan. */
export function planSaga(rng: Rng, index: number, runId: string, mix: MixOptions): SagaPlan {
  const rule = rng.weighted(RULE_WEIGHTS);
  const { items: lines, multi } = items(rng, rule);
  const tags: string[] = multi ? ['multi-item'] : [];
  const faults: PlannedFault[] = [];
  let recoverable = true;
  const forward = (i: number) => ({
    participant: ORDER_STEPS[i].participant,
    action: ORDER_STEPS[i].action,
  });
  const backward = (i: number) => ({
    participant: ORDER_STEPS[i].participant,
    action: ORDER_STEPS[i].compensation,
  });

  if (rng.chance(0.15)) {
    // Fewer failures than attempts: the step (or compensation) still succeeds.
    const i = rng.int(0, ORDER_STEPS.length - 1);
    const op = rng.chance(0.7) ? forward(i) : backward(i);
    faults.push({ ...op, mode: 'transient', times: rng.int(1, 2) });
    tags.push('transient');
  }
  if (rng.chance(mix.timeoutRate)) {
    const i = rng.int(0, ORDER_STEPS.length - 1);
    faults.push({ ...(rng.chance(0.7) ? forward(i) : backward(i)), mode: 'timeout', times: 1 });
    tags.push('timeout');
  }
  const failAt = rng.weighted({ none: 86, fail: 6, exhaust: 3, compensationFault: 5 });
  if (failAt !== 'none') {
    const k = rng.int(1, ORDER_STEPS.length - 1);
    recoverable = false;
    if (failAt === 'exhaust') {
      faults.push({ ...forward(k), mode: 'transient', times: ORDER_STEPS[k].maxAttempts });
      tags.push('forward-fault');
    } else {
      faults.push({ ...forward(k), mode: 'fail', times: 1 });
      tags.push('forward-fault');
    }
    if (failAt === 'compensationFault') {
      // A compensation that cannot complete: the saga ends FAILED and the soak retries it.
      const j = rng.int(0, k - 1);
      const transient = rng.chance(0.5);
      faults.push({
        ...backward(j),
        mode: transient ? 'transient' : 'fail',
        times: transient ? ORDER_STEPS[j].maxAttempts : 1,
      });
      tags.push('compensation-fault');
    }
  }
  const cancelAfterMs = rng.chance(mix.cancelRate) ? rng.int(0, 400) : null;
  if (cancelAfterMs !== null) tags.push('cancel');

  const failure = RULE_FAILURE[rule];
  return {
    index,
    definition: 'order',
    rule,
    input: {
      customerId: `soak-${runId}-${index}`,
      items: lines,
      payment: {
        token:
          rule === 'card_declined' ? 'tok_declined' : rule === 'flaky' ? 'tok_flaky' : 'tok_ok',
      },
      shippingAddress: {
        line1: `${index + 1} Marine Drive`,
        city: 'Mumbai',
        postalCode: rule === 'address' ? '000000' : '400001',
      },
    },
    faults,
    cancelAfterMs,
    tags,
    expected:
      recoverable && cancelAfterMs === null
        ? failure
          ? { status: 'COMPENSATED', ...failure }
          : { status: 'COMPLETED', step: null, code: null }
        : null,
  };
}

/** The order total API.md defines: the sum of price × quantity (unknown SKUs never get charged). */
export function orderTotalCents(lines: OrderItem[]): number {
  return lines.reduce((sum, l) => sum + (CATALOG[l.sku]?.priceCents ?? 0) * l.quantity, 0);
}
