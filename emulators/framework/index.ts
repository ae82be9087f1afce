export { FaultKnobs, seededRandom, type InjectedFault, type OperationFilter } from './faults.js';
export { RequestLog, type RequestLogEntry } from './request-log.js';
export {
  parseBody,
  type EmulatedRequest,
  type EmulatedResponse,
  type EmulatorHandler,
} from './emulated-request.js';
export { type ModelChecker, ModelViolations, takeViolations } from './model.js';
export { ManualClock, phaseAt, type Clock } from './clock.js';
export { LaggedReads } from './consistency.js';
export { forwardTo } from './forward.js';
