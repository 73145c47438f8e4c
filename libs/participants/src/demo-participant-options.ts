/** Knobs of the demo participants' business rules; every field has a documented default. */
export interface DemoParticipantOptions {
  /**
   * Processing fee the payment service keeps when it refunds, in basis points of the charge.
   * @default 290 (2.9%)
   */
  refundFeeBasisPoints?: number;
  /**
   * Fixed part of the refund processing fee, in cents. The whole fee never exceeds the charge.
   * @default 30
   */
  refundFeeFixedCents?: number;
  /**
   * How long after a shipment is arranged it may still be cancelled for free.
   * @default 600000 (10 minutes)
   */
  dispatchCutoffMs?: number;
  /**
   * What cancelling a shipment at or after its dispatch cut-off costs, in cents.
   * @default 500
   */
  shipmentCancellationFeeCents?: number;
  /**
   * The shipping service's clock. Tests pass one to move past the cut-off.
   * @default the database's `now()`, so every process of a cluster agrees on the time
   */
  now?: () => Date;
}

/** {@link DemoParticipantOptions} with the defaults applied (the clock stays optional). */
export type ResolvedDemoParticipantOptions = Required<Omit<DemoParticipantOptions, 'now'>> &
  Pick<DemoParticipantOptions, 'now'>;

/** Applies the defaults and rejects values that would make money or time negative. */
export function resolveDemoParticipantOptions(
  options: DemoParticipantOptions = {},
): ResolvedDemoParticipantOptions {
  const resolved: ResolvedDemoParticipantOptions = {
    refundFeeBasisPoints: options.refundFeeBasisPoints ?? 290,
    refundFeeFixedCents: options.refundFeeFixedCents ?? 30,
    dispatchCutoffMs: options.dispatchCutoffMs ?? 600_000,
    shipmentCancellationFeeCents: options.shipmentCancellationFeeCents ?? 500,
    now: options.now,
  };
  for (const [name, value] of Object.entries(resolved)) {
    if (name !== 'now' && (!Number.isSafeInteger(value) || (value as number) < 0)) {
      throw new RangeError(
        `DemoParticipantOptions.${name} must be a non-negative integer, got ${String(value)}.`,
      );
    }
  }
  return resolved;
}
