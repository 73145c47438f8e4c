/**
 * The processing fee kept when `chargedCents` is refunded: `basisPoints` of the charge
 * (rounded half up to whole cents) plus `fixedCents`, never more than the charge itself.
 */
export function refundFeeCents(
  chargedCents: number,
  fee: { basisPoints: number; fixedCents: number },
): number {
  if (chargedCents <= 0) return 0;
  const proportional = Math.round((chargedCents * fee.basisPoints) / 10_000);
  return Math.min(chargedCents, proportional + fee.fixedCents);
}
