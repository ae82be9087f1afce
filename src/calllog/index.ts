export * from './call-log.js';
export * from './redact.js';
export * from './summarize.js';
