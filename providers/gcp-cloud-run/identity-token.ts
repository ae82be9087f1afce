import { ProviderError } from '../../src/errors/index.js';
import type { IdentityToken } from '../../src/provider/provider.js';
import type { Clock } from '../../src/util/clock.js';
import type { GcpCloudRunTargetSettings } from './settings.js';

/**
 * An identity token for a service URL (services that keep their invoker check): the target's
 * `identityToken`, or one minted from Application Default Credentials through
 * google-auth-library (`getIdTokenClient`: a service account key, the metadata server, an
 * impersonated service account), which must hold `roles/run.invoker` on the services. Without
 * credentials that can mint one (user credentials cannot) the error is terminal; a failed call to
 * the token endpoint or the metadata server is retryable.
 */
export async function identityTokenFor(
  settings: Pick<GcpCloudRunTargetSettings, 'name' | 'identityToken'>,
  audience: string,
  clock: Clock,
): Promise<IdentityToken> {
  const token =
    settings.identityToken ??
    (await (async () => {
      const { GoogleAuth } = await import('google-auth-library');
      const client = await new GoogleAuth().getIdTokenClient(audience);
      return client.idTokenProvider.fetchIdToken(audience);
    })().catch((err: unknown) => {
      const message = (err as Error).message;
      const terminal = /credentials|cannot fetch id token|not supported/i.test(message);
      throw new ProviderError(
        `no identity token for ${audience} from the target's credentials (${message}); services that keep their invoker check need a service account with roles/run.invoker, or identityToken`,
        {
          provider: 'gcp-cloud-run',
          target: settings.name,
          retryable: !terminal,
          providerCode: 'IdentityTokenUnavailable',
          operation: 'identityToken',
          cause: err,
        },
      );
    }));
  return { token, expiresAt: jwtExpiry(token) ?? clock.now() + 3_600_000 };
}

/** The `exp` of a JWT (epoch ms), or undefined when the token is not one. */
function jwtExpiry(token: string): number | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
