export { DockerProvider, type DockerProviderContext, withDefaultTag } from './provider.js';
export { dockerTargetSettings, type DockerTargetSettings, type DockerTargetSettingsInput } from './settings.js';
export {
  containerName,
  createConfigHash,
  DOCKER_LABELS,
  inspectConfigHash,
  replicaState,
  selectorFilters,
  sliceFilters,
  toCreateOptions,
  toHealthcheck,
} from './mapping.js';
export { dockerMessage, toProviderError } from './errors.js';
export { followEvents, type DockerEvent } from './events.js';
export { dockerProvider } from './descriptor.js';
