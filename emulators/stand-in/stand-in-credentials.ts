/** The only credential a stand-in takes, for every cloud (AWS access key id, ARM and Google bearer tokens). */
export const STAND_IN_CREDENTIAL = 'skyfleet-emulate';

/**
 * Why a request's credential is refused, or undefined when it is the stand-in's own. Credentials
 * that look real (AWS `AKIA`/`ASIA` key ids, Azure AD JWTs, Google `ya29.` tokens) are refused with
 * a message that says so: a stand-in never takes, keeps or logs a real credential.
 */
export function refusedCredential(cloud: 'aws' | 'azure' | 'gcp', headers: Record<string, string>): string | undefined {
  const auth = headers.authorization ?? '';
  const presented = cloud === 'aws' ? /Credential=([^/,\s]+)\//.exec(auth)?.[1] : /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
  if (presented === STAND_IN_CREDENTIAL) return undefined;
  if (
    presented &&
    (/^(AKIA|ASIA)[A-Z0-9]{12,}$/.test(presented) || /^eyJ/.test(presented) || /^ya29\./.test(presented))
  )
    return `this is skyfleet emulate, a local stand-in, not the cloud: it never accepts real credentials; use "${STAND_IN_CREDENTIAL}"`;
  return `skyfleet emulate takes only its own credential "${STAND_IN_CREDENTIAL}" (${cloud === 'aws' ? 'as the access key id' : 'as the bearer token'})`;
}
