export { CloudRunProvider, type CloudRunProviderOptions, type TrafficSplit, observedSlices } from './provider.js';
export {
  gcpCloudRunTargetSettings,
  type GcpCloudRunTargetSettings,
  type GcpCloudRunTargetSettingsInput,
} from './settings.js';
export { serviceId, revisionName, GCP_LABELS, ANNOTATIONS } from './names.js';
export { revisionTemplate, templateIssues, proportionalTraffic, LIMITS } from './mapping.js';
export { toProviderError, errorFacts } from './errors.js';
export { normaliseService, type ServiceView } from './service-view.js';
export { gcpCloudRunProvider } from './descriptor.js';
