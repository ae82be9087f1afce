export { FaultKnobs, seededRandom, type InjectedFault, type OperationFilter } from './faults.js';
export { RequestLog, type RequestLogEntry } from './request-log.js';
export {
  installEmulator,
  type EmulatedRequest,
  type EmulatedResponse,
  type EmulatorHandler,
  type InstalledEmulator,
} from './http.js';
export { type ModelChecker, ModelViolations } from './model.js';
export { ManualClock, phaseAt, type Clock } from './clock.js';
