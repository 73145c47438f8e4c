import type { DataSource } from 'typeorm';
import { demoParticipantNames, isDemoParticipantName } from './demo-participants';
import { participantRecordsSql } from './participant-records';
import type { ParticipantRecord } from './shared/sql';
import { UnknownParticipantError } from './unknown-participant.error';

/** Stock of one SKU: `reserved` is what unreleased reservations currently hold. */
export interface StockView {
  sku: string;
  available: number;
  reserved: number;
}

/** A saga's money in the payment service: `refundedCents + feeCents` never exceeds the charge. */
export interface LedgerView {
  chargedCents: number;
  refundedCents: number;
  feeCents: number;
}

/**
 * Read-only views of the demo participants' own state (API.md, "participants"), so a
 * client can check a saga's effects and not only its status. Never writes.
 */
export class ParticipantViews {
  constructor(private readonly dataSource: DataSource) {}

  /** The inventory's stock of `sku`, or null when the inventory does not stock it. */
  async stock(sku: string): Promise<StockView | null> {
    const [row] = (await this.dataSource.query(
      `SELECT sku, available, reserved FROM "inventory"."stock_item" WHERE sku = $1`,
      [sku],
    )) as { sku: string; available: string; reserved: string }[];
    if (!row) return null;
    return { sku: row.sku, available: Number(row.available), reserved: Number(row.reserved) };
  }

  /**
   * `participant`'s records of one saga, oldest first (empty for an unknown saga).
   * @throws UnknownParticipantError when `participant` is not a demo participant
   */
  async records(participant: string, sagaId: string): Promise<ParticipantRecord[]> {
    if (!isDemoParticipantName(participant)) {
      throw new UnknownParticipantError(participant, demoParticipantNames);
    }
    const rows = (await this.dataSource.query(participantRecordsSql[participant], [
      sagaId,
    ])) as (ParticipantRecord & { sort_at: Date })[];
    return rows.map(({ kind, status, idempotencyKey, at, data }) => ({
      kind,
      status,
      idempotencyKey,
      at,
      data,
    }));
  }

  /** What the payment service charged, refunded and kept for one saga; zeros if never charged. */
  async ledger(sagaId: string): Promise<LedgerView> {
    const [row] = (await this.dataSource.query(
      `SELECT
         (SELECT COALESCE(sum(amount_cents), 0) FROM "payment"."charge" WHERE saga_id = $1) AS charged,
         (SELECT COALESCE(sum(refunded_cents), 0) FROM "payment"."refund" WHERE saga_id = $1) AS refunded,
         (SELECT COALESCE(sum(fee_cents), 0) FROM "payment"."refund" WHERE saga_id = $1) AS fee`,
      [sagaId],
    )) as { charged: string; refunded: string; fee: string }[];
    return {
      chargedCents: Number(row.charged),
      refundedCents: Number(row.refunded),
      feeCents: Number(row.fee),
    };
  }
}
