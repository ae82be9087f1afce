import { OAuth2Client } from 'google-auth-library';
import { CloudRunProvider, type CloudRunProviderOptions } from '../../../providers/gcp-cloud-run/index.js';
import {
  type GcpCloudRunTargetSettingsInput,
  gcpCloudRunTargetSettings,
} from '../../../providers/gcp-cloud-run/settings.js';
import { withEnvCallLog } from '../../../src/calllog/index.js';
import { ManualClock } from '../framework/index.js';
import { steppingClock } from './clock.js';
import { CloudRunEmulator, type CloudRunEmulatorOptions } from './emulator.js';

export interface RunHarness {
  clock: ManualClock;
  emulator: CloudRunEmulator;
  settings: ReturnType<typeof gcpCloudRunTargetSettings.parse>;
  /** A new provider over the same emulator (a fresh SDK client each time). */
  provider(extra?: Partial<CloudRunProviderOptions>): CloudRunProvider;
  close(): void;
}

/** An OAuth2Client with a valid token: no refresh, metadata-server or oauth2 traffic (RECIPES §5). */
export function fakeAuthClient(): OAuth2Client {
  const c = new OAuth2Client();
  c.setCredentials({ access_token: 'fake-token', expiry_date: Date.now() + 3_600_000 });
  return c;
}

/**
 * The Cloud Run emulator installed behind nock plus a provider factory wired to it: fake auth, the
 * emulator's clock (stepped by the provider's own waits), a 1 s poll interval. Call
 * `nock.disableNetConnect()` in the test file, and `close()` in afterAll.
 */
export function runHarness(
  options: {
    fleet: string;
    target?: Partial<GcpCloudRunTargetSettingsInput>;
    emulator?: Omit<CloudRunEmulatorOptions, 'clock'>;
    provider?: Partial<CloudRunProviderOptions>;
  } = { fleet: 'test' },
): RunHarness {
  const clock = new ManualClock();
  const emulator = new CloudRunEmulator({ clock, ...options.emulator });
  emulator.install();
  const settings = gcpCloudRunTargetSettings.parse({
    name: 'gcr',
    kind: 'gcp-cloud-run',
    project: 'skyfleet-test',
    region: 'us-central1',
    pollIntervalMs: 1000,
    ...options.target,
  });
  const providers: CloudRunProvider[] = [];
  return {
    clock,
    emulator,
    settings,
    provider: (extra = {}) => {
      // $SKYFLEET_CALL_LOG: the test's own log (if any) and that file
      const callLog = withEnvCallLog(extra.callLog ?? options.provider?.callLog);
      const p = new CloudRunProvider(
        settings,
        { fleet: options.fleet },
        {
          authClient: fakeAuthClient(),
          clock: steppingClock(clock),
          retry: { attempts: 6, baseDelayMs: 200, maxDelayMs: 2000 },
          ...options.provider,
          ...extra,
          ...(callLog ? { callLog } : {}),
        },
      );
      providers.push(p);
      return p;
    },
    close: () => {
      for (const p of providers) void p.close();
      emulator.uninstall();
    },
  };
}
