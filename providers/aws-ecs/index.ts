export { AwsEcsProvider, type AwsEcsProviderOptions } from './provider.js';
export { awsEcsTargetSettings, type AwsEcsTargetSettings, type AwsEcsTargetSettingsInput } from './settings.js';
export { classifyEcsError, isRetryableEcsError } from './errors.js';
export {
  FARGATE_SIZES,
  VALID_FARGATE_PAIRS,
  fargateSize,
  healthCheckOf,
  mapSlice,
  replicaFromTask,
  sliceFromService,
  secretValueFrom,
} from './mapping.js';
export { serviceName, familyName, clientToken, parseServiceName } from './names.js';
export { awsEcsProvider } from './descriptor.js';
