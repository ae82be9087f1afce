export * from './provider.js';
export * from './descriptor.js';
export * from './registry.js';
export * from './labels.js';
