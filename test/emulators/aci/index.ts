import type { TokenCredential } from '@azure/core-auth';
import { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import { AzureAciProvider, type AzureAciProviderOptions } from '../../../providers/azure-aci/index.js';
import { azureAciTargetSettings, type AzureAciTargetSettingsInput } from '../../../providers/azure-aci/settings.js';
import { withEnvCallLog } from '../../../src/calllog/index.js';
import { type AciEmulator, ARM } from './emulator.js';

export { AciEmulator } from './emulator.js';
export { ARM, API_VERSION, type AciEmulatorOptions } from '../../../emulators/azure-aci/aci-emulator.js';
export { ArmModelChecker, REFERENCE_DIR } from '../../../emulators/azure-aci/arm-checker.js';

/** A credential that never leaves the process (no IMDS, no AAD). */
export const fakeCredential: TokenCredential = {
  getToken: async () => ({ token: 'fake-arm-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
};

/**
 * An SDK client for the emulator: the real ContainerInstanceManagementClient (api-version
 * 2023-05-01) with a fake token and the SDK's retry policy kept but without real waiting.
 */
export function emulatorClient(
  em: AciEmulator,
  retry: { maxRetries?: number } = {},
): ContainerInstanceManagementClient {
  return new ContainerInstanceManagementClient(fakeCredential, em.subscriptionId, {
    retryOptions: { maxRetries: retry.maxRetries ?? 3, retryDelayInMs: 0, maxRetryDelayInMs: 0 },
  });
}

/** Target settings for the emulator's subscription (eastus, zones 1-3, polling interval 0). */
export function aciSettings(em: AciEmulator, overrides: Partial<AzureAciTargetSettingsInput> = {}) {
  return azureAciTargetSettings.parse({
    name: 'azure',
    kind: 'azure-aci',
    subscriptionId: em.subscriptionId,
    resourceGroup: 'skyfleet-rg',
    location: 'eastus',
    zones: ['1', '2', '3'],
    updateIntervalInMs: 0,
    ...overrides,
  });
}

/** A provider over the emulator, built the way the fleet's tests build it (a ready client). */
export function aciProvider(
  em: AciEmulator,
  fleet: string,
  overrides: Partial<AzureAciTargetSettingsInput> = {},
  options: AzureAciProviderOptions & { maxRetries?: number } = {},
): AzureAciProvider {
  const { maxRetries, ...rest } = options;
  // $SKYFLEET_CALL_LOG: the test's own log (if any) and that file
  const callLog = withEnvCallLog(rest.callLog);
  return new AzureAciProvider(
    aciSettings(em, overrides),
    { fleet },
    {
      client: emulatorClient(em, maxRetries !== undefined ? { maxRetries } : {}),
      clock: em.clock,
      ...rest,
      ...(callLog ? { callLog } : {}),
    },
  );
}

export { ARM as ARM_ORIGIN };
