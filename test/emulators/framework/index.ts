export {
  FaultKnobs,
  seededRandom,
  type InjectedFault,
  type OperationFilter,
  RequestLog,
  type RequestLogEntry,
  type ModelChecker,
  ModelViolations,
  ManualClock,
  phaseAt,
  type Clock,
} from '../../../emulators/framework/index.js';
export {
  installEmulator,
  type EmulatedRequest,
  type EmulatedResponse,
  type EmulatorHandler,
  type InstalledEmulator,
} from './http.js';
