export { SkyfleetError, type SkyfleetErrorOptions } from './skyfleet-error.js';
export type { ErrorCode } from './error-code.js';
export { ValidationError, type ValidationIssue } from './validation-error.js';
export { ProviderError, type ProviderErrorOptions, isRetryable } from './provider-error.js';
export { PlacementError, type PlacementErrorKind } from './placement-error.js';
export { ConvergeError, type NotReadyReplica } from './converge-error.js';
export { NotFoundError } from './not-found-error.js';
export { MetricSourceError, type MetricSourceErrorOptions } from './metric-source-error.js';
