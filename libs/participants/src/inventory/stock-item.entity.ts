import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The inventory service's stock of one SKU. `reserved` is what unreleased reservations hold;
 * the checks are the last line of defence against overselling.
 */
@Entity({ schema: 'inventory', name: 'stock_item' })
@Check('ck_stock_item_available', '"available" >= 0')
@Check('ck_stock_item_reserved', '"reserved" >= 0')
export class StockItem {
  @PrimaryColumn({ type: 'text' })
  sku!: string;

  @Column({ type: 'bigint' })
  available!: string;

  @Column({ type: 'bigint', default: 0 })
  reserved!: string;
}
