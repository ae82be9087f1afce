export * from './types.js';
export { place } from './place.js';
