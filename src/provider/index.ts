export * from './provider.js';
export * from './registry.js';
export * from './labels.js';
