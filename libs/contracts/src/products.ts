/** Master-image product lines. KXP2 = KartXPro, RXP2 = RaceXPro. */
export const PRODUCT_CODES = ['KXP2', 'RXP2'] as const;
export type ProductCode = (typeof PRODUCT_CODES)[number];

export const PRODUCT_NAMES: Record<ProductCode, string> = {
  KXP2: 'KartXPro',
  RXP2: 'RaceXPro',
};

export function isProductCode(value: unknown): value is ProductCode {
  return typeof value === 'string' && (PRODUCT_CODES as readonly string[]).includes(value);
}
