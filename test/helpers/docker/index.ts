export * from './images.js';
export * from './run.js';
export * from './tar.js';
export * from './faults.js';
export * from './readiness.js';
