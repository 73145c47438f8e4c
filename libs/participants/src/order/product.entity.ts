import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

/** The order service's catalog: what may be ordered and at what price (seeded by migration). */
@Entity({ schema: 'order_svc', name: 'product' })
@Check('ck_product_price', '"price_cents" >= 0')
export class Product {
  @PrimaryColumn({ type: 'text' })
  sku!: string;

  /** Integer cents; pg returns bigint as a string. */
  @Column({ name: 'price_cents', type: 'bigint' })
  priceCents!: string;
}
