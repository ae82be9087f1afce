export { AzureAciProvider, type AzureAciProviderOptions, plan } from './provider.js';
export { azureAciTargetSettings, type AzureAciTargetSettings, type AzureAciTargetSettingsInput } from './settings.js';
export { desiredGroups, domainsOf, replacementReason, projection, type DesiredGroup } from './mapping.js';
export { toObservedSlices, replicaOf, endpointsOf } from './observe.js';
export { classify, retryAfterMs } from './errors.js';
export { groupName, isValidGroupName, TAGS } from './names.js';
export { azureAciProvider } from './descriptor.js';
