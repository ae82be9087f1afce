import { type Clock, type EmulatedResponse, RequestLog } from '../framework/index.js';

export const SECRET_MANAGER_ORIGIN = 'https://secretmanager.googleapis.com';

/**
 * Secret Manager (v1), as far as skyfleet reads it: `GET /v1/projects/{p}/secrets/{s}/versions/{v}`
 * (secretmanager.versions.get: a version's metadata, never its payload), where `{v}` is a number
 * or the alias `latest`, answered with the version's full name under the project's number
 * (`projects/123456789012/secrets/db/versions/3`, as Secret Manager names resources), its state
 * and create time
 * (https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets.versions/get,
 * https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets.versions#SecretVersion).
 * `latest` is the newest ENABLED version. Errors are Google's JSON error body: 404 NOT_FOUND for an
 * unknown secret or version, 403 PERMISSION_DENIED for a caller without secretmanager.versions.get.
 */
export class SecretManagerEmulator {
  readonly log = new RequestLog();
  private readonly secrets = new Map<string, Array<{ state: 'ENABLED' | 'DISABLED'; created: number }>>();
  private denied = 0;

  constructor(
    private readonly clock: Clock,
    private readonly projectNumber = '123456789012',
  ) {}

  /** A new version of a secret (the secret is created with its first): its number. */
  addVersion(project: string, secret: string): number {
    const key = `${project}/${secret}`;
    const versions = this.secrets.get(key) ?? [];
    versions.push({ state: 'ENABLED', created: this.clock.now() });
    this.secrets.set(key, versions);
    return versions.length;
  }

  /** Disables a version (`latest` then skips it). */
  disableVersion(project: string, secret: string, version: number): void {
    const v = this.secrets.get(`${project}/${secret}`)?.[version - 1];
    if (v) v.state = 'DISABLED';
  }

  /** The next `n` requests answer 403 PERMISSION_DENIED. */
  denyNext(n: number): void {
    this.denied = n;
  }

  handle(method: string, path: string): EmulatedResponse {
    const m = /^\/v1\/projects\/([^/]+)\/secrets\/([^/]+)\/versions\/([^/:?]+)$/.exec(path);
    const answer = (status: number, body: unknown): EmulatedResponse => {
      this.log.add({
        time: this.clock.now(),
        operation: m ? 'secrets.versions.get' : `${method} ${path}`,
        method,
        path,
        body: null,
        status,
        response: body,
        write: false,
      });
      return { status, body, headers: { 'content-type': 'application/json; charset=UTF-8' } };
    };
    const error = (code: number, status: string, message: string) => answer(code, { error: { code, message, status } });
    if (method !== 'GET' || !m)
      return error(404, 'NOT_FOUND', `The requested URL ${path} was not found on this server.`);
    const [, project, secret, wanted] = m as unknown as [string, string, string, string];
    const resource = `projects/${project}/secrets/${secret}/versions/${wanted}`;
    if (this.denied > 0) {
      this.denied--;
      return error(
        403,
        'PERMISSION_DENIED',
        `Permission 'secretmanager.versions.get' denied for resource '${resource}' (or it may not exist).`,
      );
    }
    const versions = this.secrets.get(`${project}/${secret}`) ?? [];
    const n =
      wanted === 'latest'
        ? versions.map((v, i) => (v.state === 'ENABLED' ? i + 1 : 0)).reduce((a, b) => Math.max(a, b), 0)
        : /^[1-9]\d*$/.test(wanted) && Number(wanted) <= versions.length
          ? Number(wanted)
          : 0;
    if (!n)
      return error(
        404,
        'NOT_FOUND',
        versions.length
          ? `Secret Version [projects/${this.projectNumber}/secrets/${secret}/versions/${wanted}] not found.`
          : `Secret [projects/${this.projectNumber}/secrets/${secret}] not found or has no versions.`,
      );
    const v = versions[n - 1]!;
    return answer(200, {
      name: `projects/${this.projectNumber}/secrets/${secret}/versions/${n}`,
      createTime: new Date(v.created).toISOString(),
      state: v.state,
      replicationStatus: { automatic: {} },
      etag: `"${(v.created * 1000 + n).toString(16)}"`,
    });
  }
}
