export interface Product {
  id: number;
  name: string;
  price: number;
  tags: string[];
}

export const PRODUCTS: readonly Product[] = [
  { id: 1, name: 'Brass spyglass', price: 89, tags: ['optics', 'nautical'] },
  { id: 2, name: 'Pocket compass', price: 24, tags: ['nautical', 'navigation'] },
  { id: 3, name: 'Star chart', price: 12, tags: ['navigation', 'paper'] },
  { id: 4, name: 'Ship in a bottle', price: 45, tags: ['decor', 'nautical'] },
  { id: 5, name: 'Field binoculars', price: 129, tags: ['optics'] },
  { id: 6, name: 'Tide table 2026', price: 8, tags: ['paper'] },
];
