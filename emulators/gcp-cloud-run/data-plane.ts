/**
 * The emulator's data plane: what `https://<service>.a.run.app` does, on 127.0.0.1. One HTTPS
 * listener for every service (as Google's front end is one), with a certificate for `*.a.run.app`
 * signed by a CA of the caller's (the tests' CA in test/helpers/tls, `skyfleet emulate`'s own), so a client must trust that CA and name the service
 * (SNI and Host) to be served:
 * - a Host that names no service: 404, as Google's front end answers an unknown `run.app` host;
 * - a service whose ingress is not `all`: 404 from outside (the ingress setting,
 *   https://cloud.google.com/run/docs/securing/ingress);
 * - a service with the invoker IAM check on (`invokerIamDisabled` false) and a caller without an
 *   identity token (in `X-Serverless-Authorization`, or `Authorization`): 403 (https://cloud.google.com/run/docs/securing/managing-access#invoker_check);
 *   a token is accepted as present, not verified (this is a stand-in);
 * - otherwise the request goes to one of the service's revisions by its current traffic split
 *   (`trafficStatuses`), and the answer names that revision. A tag URL
 *   (`https://TAG---<service host>`) reaches the tagged revision.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { forwardTo } from '../framework/forward.js';
import type { ServiceState } from './cloud-run-emulator.js';

export interface DataPlaneAddress {
  host: string;
  port: number;
}

/** What the data plane needs from the emulator: the services, settled to the clock's now. */
export interface DataPlaneServices {
  servicesNow(): Iterable<ServiceState>;
}

export class CloudRunDataPlane {
  /** Requests answered with 200, by revision (short name). */
  readonly served = new Map<string, number>();
  /** Requests refused, by status. */
  readonly refused = new Map<number, number>();
  /** The identity tokens callers of services with the invoker check presented (tests look; they are fakes). */
  readonly identities = new Set<string>();
  private server: Server | undefined;
  private turn = 0;

  constructor(
    private readonly services: DataPlaneServices,
    /** The certificate (for `*.a.run.app`) and its key, PEM. */
    private readonly tls: { key: string; cert: string },
    /**
     * Where a revision's instance listens on 127.0.0.1 (`skyfleet emulate`): requests are then
     * forwarded to it; without it the data plane answers with the revision's name itself.
     */
    private readonly instancePort?: (service: ServiceState, revision: string) => number | undefined,
  ) {}

  /** Answers one request (the stand-in's data plane listener calls it for `*.run.app` hosts). */
  readonly handle = (req: IncomingMessage, res: ServerResponse) => {
    const answer = (status: number, body: string, headers: Record<string, string> = {}) => {
      if (status !== 200) this.refused.set(status, (this.refused.get(status) ?? 0) + 1);
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
      res.end(body);
    };
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    const found = this.find(host);
    if (!found) return answer(404, `Error: Page not found. The requested URL was not found on this server.\n`);
    const { service, tag } = found;
    const ingress = service.spec.ingress;
    if (ingress !== undefined && ingress !== 'INGRESS_TRAFFIC_ALL' && ingress !== 1)
      return answer(404, `Error: Page not found. The requested URL was not found on this server.\n`);
    // the identity token in X-Serverless-Authorization, or else Authorization ("If
    // X-Serverless-Authorization and Authorization are both present, cloud run will use
    // X-Serverless-Authorization": GoogleCloudPlatform/cloud-run-proxy#25)
    const identity = req.headers['x-serverless-authorization'] ?? req.headers.authorization ?? '';
    if (service.spec.invokerIamDisabled !== true && /^Bearer \S+/.test(String(identity)))
      this.identities.add(String(identity).slice('Bearer '.length));
    if (service.spec.invokerIamDisabled !== true && !/^Bearer \S+/.test(String(identity)))
      return answer(
        403,
        `Error: Forbidden. Your client does not have permission to get URL ${req.url} from this server.\n`,
      );
    const revision = tag ? service.routing.find((r) => r.tag === tag)?.revision : this.pick(service);
    if (!revision) {
      req.resume();
      return answer(503, 'Service Unavailable: no revision is serving\n');
    }
    if (this.instancePort) {
      const port = this.instancePort(service, revision);
      if (port === undefined) {
        req.resume();
        return answer(503, 'Service Unavailable: the revision has no instance yet\n');
      }
      forwardTo(
        req,
        res,
        port,
        { 'x-served-by': revision },
        {
          answer: () => this.served.set(revision, (this.served.get(revision) ?? 0) + 1),
          failure: () => this.refused.set(503, (this.refused.get(503) ?? 0) + 1),
        },
      );
      return;
    }
    // drain the body; the answer does not depend on it
    req.resume();
    this.served.set(revision, (this.served.get(revision) ?? 0) + 1);
    answer(200, `${revision}\n`, { 'x-served-by': revision });
  };

  async start(listen: { host: string; port: number } = { host: '127.0.0.1', port: 0 }): Promise<DataPlaneAddress> {
    const server = createServer({ key: this.tls.key, cert: this.tls.cert, keepAlive: true }, this.handle);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listen.port, listen.host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return { host: listen.host, port };
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The service (and tag) a host names: `<id>-<hash>.a.run.app` or `TAG---<id>-<hash>.a.run.app`. */
  private find(host: string): { service: ServiceState; tag?: string } | undefined {
    const sep = host.indexOf('---');
    const tag = sep > 0 ? host.slice(0, sep) : undefined;
    const base = sep > 0 ? host.slice(sep + 3) : host;
    for (const s of this.services.servicesNow()) {
      if (new URL(s.uri).hostname === base) return { service: s, ...(tag ? { tag } : {}) };
    }
    return undefined;
  }

  /** A revision by the traffic split: smooth weighted round robin over the serving percents. */
  private pick(s: ServiceState): string | undefined {
    const serving = s.routing.filter((r) => r.percent > 0);
    if (serving.length === 0) return undefined;
    const slot = this.turn++ % 100;
    let acc = 0;
    for (const r of serving) {
      acc += r.percent;
      if (slot < acc) return r.revision;
    }
    return serving[serving.length - 1]?.revision;
  }
}
