export * from './call-log.js';
export * from './redact.js';
