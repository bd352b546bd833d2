export { buildDemoApi } from './app.js';
export type { DemoApiOptions } from './app.js';
export { UserStore, DEMO_USERS } from './users.js';
export type { User } from './users.js';
export { PRODUCTS } from './products.js';
export type { Product } from './products.js';
