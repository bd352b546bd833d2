/** tirreno's weight classes (app/Utils/Constants.php): the only weights a rule can carry. */
export const WEIGHT_CLASSES = { positive: -20, none: 0, medium: 10, high: 20, extreme: 70 } as const;

export type WeightClass = keyof typeof WEIGHT_CLASSES;

export function isWeightClass(value: unknown): value is WeightClass {
  return typeof value === 'string' && Object.hasOwn(WEIGHT_CLASSES, value);
}

export function weightValue(weight: WeightClass): number {
  return WEIGHT_CLASSES[weight];
}
