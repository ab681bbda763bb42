/**
 * Input of examples/connect-join.ts (and of its test): two streams that share a customer id.
 * Some orders arrive before their customer's record, some after; order 1007 has no customer.
 */
export interface Order {
  orderId: number;
  customerId: string;
  amount: number;
}

export interface Customer {
  customerId: string;
  name: string;
  country: string;
}

export const ORDERS: Order[] = [
  { orderId: 1001, customerId: 'c1', amount: 30 },
  { orderId: 1002, customerId: 'c2', amount: 12.5 },
  { orderId: 1003, customerId: 'c1', amount: 7 },
  { orderId: 1004, customerId: 'c3', amount: 99.9 },
  { orderId: 1005, customerId: 'c4', amount: 15 },
  { orderId: 1006, customerId: 'c2', amount: 42 },
  { orderId: 1007, customerId: 'c9', amount: 5 },
  { orderId: 1008, customerId: 'c5', amount: 60 },
  { orderId: 1009, customerId: 'c3', amount: 1.25 },
  { orderId: 1010, customerId: 'c1', amount: 18 },
];

export const CUSTOMERS: Customer[] = [
  { customerId: 'c3', name: 'Chiara', country: 'IT' },
  { customerId: 'c1', name: 'Amara', country: 'NG' },
  { customerId: 'c5', name: 'Emil', country: 'SE' },
  { customerId: 'c2', name: 'Bo', country: 'CN' },
  { customerId: 'c4', name: 'Dana', country: 'US' },
  { customerId: 'c6', name: 'Farid', country: 'IR' },
];
