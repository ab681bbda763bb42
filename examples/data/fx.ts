/** Payments in several currencies and the exchange rates to EUR (examples/broadcast-state.ts). */
export interface Payment {
  id: number;
  account: string;
  currency: string;
  amount: number;
}
export interface Rate {
  currency: string;
  toEur: number;
}

export const RATES: Rate[] = [
  { currency: 'USD', toEur: 0.92 },
  { currency: 'GBP', toEur: 1.17 },
  { currency: 'CHF', toEur: 1.05 },
  { currency: 'JPY', toEur: 0.0061 },
];

const CURRENCIES = ['USD', 'GBP', 'CHF', 'JPY', 'EUR'];
export const PAYMENTS: Payment[] = Array.from({ length: 300 }, (_, i) => ({
  id: i,
  account: `acct-${i % 13}`,
  currency: CURRENCIES[(i * 7) % CURRENCIES.length]!,
  amount: 10 + ((i * 37) % 990),
}));
