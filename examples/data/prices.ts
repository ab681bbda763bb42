/** Orders of products and the price list the example's HTTP price service answers from (examples/async-io.ts). */
export interface Order {
  orderId: number;
  sku: number;
  quantity: number;
}

export const SKUS = 40;
/** Cents per unit, by SKU. */
export const PRICES: number[] = Array.from({ length: SKUS }, (_, sku) => 199 + ((sku * 7919) % 5000));

export const ORDERS: Order[] = Array.from({ length: 250 }, (_, i) => ({ orderId: i, sku: (i * 11) % SKUS, quantity: 1 + (i % 4) }));
