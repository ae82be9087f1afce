export { MemoryProvider, type MemoryProviderOptions } from './provider.js';
export {
  MemoryCloud,
  defaultMemoryCloud,
  type MemorySlice,
  type MemoryReplica,
  type FaultPlan,
} from './memory-cloud.js';
export { memoryTargetSettings, type MemoryTargetSettings } from './settings.js';
export { memoryProvider } from './descriptor.js';
