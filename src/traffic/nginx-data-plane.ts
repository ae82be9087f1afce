import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { LogTail } from './log-tail.js';
import { type NginxDataPlaneConfigOptions, nginxDataPlaneConfig, nginxServerAddress } from './nginx.js';
import { Router } from './router.js';
import type { DataPlane, EndpointState, RevisionStats, RouteEndpoint, RouterOptions } from './types.js';

export interface NginxDataPlaneOptions extends Omit<RouterOptions, 'onRotationChange'> {
  /** The nginx binary. Default: `nginx` on PATH, else /usr/sbin/nginx. */
  nginx?: string;
  /** nginx `worker_processes`. Default 'auto' (one per core). */
  workers?: number | 'auto';
}

/** Finds nginx: the given path, `nginx` on PATH, or the usual sbin paths. */
export function findNginx(given?: string): string | null {
  if (given) return existsSync(given) ? given : null;
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/usr/local/sbin', '/sbin']);
  for (const dir of dirs) if (dir && existsSync(join(dir, 'nginx'))) return join(dir, 'nginx');
  return null;
}

/** One configuration nginx ran: the endpoints it sent traffic to, and its worker processes. */
interface Generation {
  ids: Set<string>;
  pids: number[];
}

const poll = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * skyfleet's nginx data plane for one deployment: the same control as the built-in router
 * (active health checks from the readiness probe, revision weights, endpoint weights, drain,
 * per-revision stats and metrics), with nginx carrying the requests. Where the router runs in
 * the controller's event loop, nginx runs its own worker processes: use it for nginx's
 * throughput and latency (`service.dataPlane: nginx`).
 *
 * How it works: a Router without a listener keeps the endpoint state; whenever what is in
 * rotation changes, the nginx configuration is rendered again (the `export nginx` upstream with
 * the same weights) and nginx reloads gracefully. Workers of the old configuration finish
 * their requests and exit, which is the drain: `drained(id)` resolves once no worker that could
 * send to `id` is left (nginx stops them after `drainTimeoutMs`). Every request is a line of
 * nginx's buffered access log, read back every 250 ms and counted per endpoint and revision,
 * so `stats()` (canary analysis) and the metrics work as with the router, about half a second
 * behind. Passive ejection is
 * nginx's own (`max_fails`/`fail_timeout` from `ejection`), and so is the one retry of a request
 * that failed to connect. Not known here: requests in flight per endpoint (always 0).
 */
export class NginxDataPlane implements DataPlane {
  readonly deployment: string;
  private readonly control: Router;
  private readonly options: NginxDataPlaneOptions;
  private readonly drainTimeoutMs: number;
  private dir: string | null = null;
  private master: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private log: LogTail | null = null;
  private address: { host: string; port: number } | null = null;
  private config: NginxDataPlaneConfigOptions | null = null;
  private rendered = '';
  private byAddr = new Map<string, string>();
  private current: Generation = { ids: new Set(), pids: [] };
  private retiring: Generation[] = [];
  private chain: Promise<void> = Promise.resolve();
  private queued = false;
  private closed = false;
  private bin = 'nginx';
  /** Reload failures (an invalid configuration keeps the previous one running). */
  reloadErrors = 0;
  /** Times nginx's master exited on its own and was started again. */
  restarts = 0;
  unparsedLogLines = 0;

  constructor(options: NginxDataPlaneOptions) {
    if (options.balancing === 'least-request')
      throw new TypeError(
        "NginxDataPlane: balancing 'least-request' is not offered: nginx balances round robin here (the revision split rides on server weights, which least_conn would bend); leave balancing out or use the built-in Router",
      );
    this.options = options;
    this.deployment = options.name;
    this.drainTimeoutMs = options.drainTimeoutMs ?? 30_000;
    this.control = new Router({
      ...options,
      // nginx does passive ejection (max_fails) and retries itself
      ejection: { consecutiveFailures: 0 },
      onRotationChange: () => this.schedule(),
    });
  }

  /** Starts nginx; resolves with the listening address once it accepts connections. */
  async start(): Promise<{ host: string; port: number }> {
    if (this.closed) throw new Error('NginxDataPlane: closed');
    if (this.address) return this.address;
    const bin = findNginx(this.options.nginx);
    if (!bin)
      throw new Error(
        `service.dataPlane nginx (deployment ${this.deployment}): nginx was not found on PATH or in /usr/sbin; install it (apt-get install nginx-light) or use dataPlane: builtin`,
      );
    const host = this.options.listen?.host ?? '127.0.0.1';
    const port = this.options.listen?.port || (await freePort(host));
    // One directory per listen address: an nginx left running by a controller that was killed
    // (its pid file is there) is stopped before this one takes the port.
    const dir = join(tmpdir(), `skyfleet-nginx-${host.replace(/[^A-Za-z0-9.]/g, '_')}-${port}`);
    mkdirSync(dir, { recursive: true });
    await stopStale(dir);
    rmSync(join(dir, 'access.log'), { force: true });
    rmSync(join(dir, 'access.log.1'), { force: true });
    this.dir = dir;
    this.log = new LogTail({
      path: join(dir, 'access.log'),
      onLine: (line) => this.onLogLine(line),
      reopen: () => this.master?.kill('SIGUSR1'),
    });
    const e = this.options.ejection ?? {};
    this.config = {
      name: this.deployment,
      listen: `${host.includes(':') ? `[${host}]` : host}:${port}`,
      dir,
      workers: this.options.workers ?? 'auto',
      logPath: join(dir, 'access.log'),
      connectTimeoutMs: this.options.connectTimeoutMs ?? 5_000,
      upstreamTimeoutMs: this.options.upstreamTimeoutMs ?? 60_000,
      clientIdleTimeoutMs: this.options.clientIdleTimeoutMs ?? 60_000,
      drainTimeoutMs: this.drainTimeoutMs,
      maxFails: e.consecutiveFailures === 0 ? 0 : (e.consecutiveFailures ?? 5),
      failTimeoutSeconds: Math.max(1, Math.round((e.baseEjectionMs ?? 10_000) / 1000)),
      retry: (this.options.retry?.attempts ?? 1) > 0,
      tls: {
        socketDir: dir,
        trustedCertificate: this.trustedCertificate(dir),
        ...(this.options.identityTokens ? { identityTokens: this.options.identityTokens } : {}),
      },
    };
    this.render();
    this.bin = bin;
    await this.launch(host, port);
    this.log.start();
    this.address = { host, port };
    return this.address;
  }

  /** Spawns the nginx master and waits until it accepts connections on host:port. */
  private async launch(host: string, port: number): Promise<void> {
    const dir = this.dir!;
    const master = spawn(this.bin, ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    master.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    this.master = master;
    this.exited = new Promise((r) => master.once('exit', () => r()));
    const deadline = Date.now() + 10_000;
    while (!(await accepts(host, port))) {
      if (master.exitCode !== null || master.signalCode !== null || Date.now() > deadline) {
        const why = `${stderr}\n${this.errorLog()}`.trim();
        if (!this.address) await this.close();
        throw new Error(`nginx data plane for ${this.deployment} did not start on ${host}:${port}: ${why}`);
      }
      await poll(20);
    }
    this.current.pids = this.workers();
    master.once('exit', () => this.onMasterExit(master));
  }

  /**
   * nginx's master went away without close(): its workers are stopped (they would keep the port
   * with a configuration nobody updates) and a new master starts, again after 1 s if it fails.
   */
  private onMasterExit(master: ChildProcess): void {
    if (this.closed || this.master !== master || !this.address) return;
    this.restarts++;
    for (const pid of [...this.current.pids, ...this.retiring.flatMap((g) => g.pids)])
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    this.retiring = [];
    const { host, port } = this.address;
    this.chain = this.chain.then(async () => {
      for (;;) {
        if (this.closed) return;
        try {
          await this.launch(host, port);
          return;
        } catch {
          await poll(1_000);
        }
      }
    });
  }

  get listening(): { host: string; port: number } | null {
    return this.address;
  }

  /** The nginx master's process id, while it runs. */
  get pid(): number | undefined {
    return this.master?.exitCode === null ? this.master.pid : undefined;
  }

  setEndpoints(endpoints: RouteEndpoint[]): void {
    this.control.setEndpoints(endpoints);
    // identity tokens are written into the config: a pass renders it again, and a token renewed
    // since is a new config (nothing changes, and nothing reloads, otherwise)
    if (endpoints.some((e) => e.identityAudience)) this.schedule();
  }

  setRevisionWeights(weights: Record<string, number> | null): void {
    this.control.setRevisionWeights(weights);
  }

  withdraw(ids: Iterable<string>): void {
    this.control.withdraw(ids);
  }

  /** Resolves once no nginx worker that could send requests to `id` is left (after its removal). */
  async drained(id: string): Promise<void> {
    await this.control.drained(id);
    await this.settled();
    const pids = this.retiring.filter((g) => g.ids.has(id)).flatMap((g) => g.pids);
    const deadline = Date.now() + this.drainTimeoutMs + 5_000;
    while (pids.some(alive) && Date.now() < deadline) await poll(25);
    this.retiring = this.retiring.filter((g) => g.pids.some(alive));
  }

  /** Resolves when nginx runs the configuration for the current state (after pending reloads). */
  settled(): Promise<void> {
    return this.chain;
  }

  stats(windowMs?: number): RevisionStats[] {
    return this.control.stats(windowMs);
  }

  endpoints(): EndpointState[] {
    return this.control.endpoints();
  }

  /** Stops nginx at once (in-flight requests are cut), the health checks and the log listener. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.control.close();
    const master = this.master;
    if (master && master.exitCode === null && master.signalCode === null) {
      master.kill('SIGTERM');
      const killed = setTimeout(() => master.kill('SIGKILL'), 5_000);
      await this.exited;
      clearTimeout(killed);
    }
    await this.log?.close();
    this.log = null;
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  // ------------------------------------------------------------------ configuration

  /** Queues one reload for however many changes happen before it starts (`settled` includes it). */
  private schedule(): void {
    if (this.queued || !this.address || this.closed) return;
    this.queued = true;
    this.chain = this.chain.then(() => {
      this.queued = false;
      return this.reload();
    });
  }

  /**
   * The CA file nginx trusts for TLS endpoints: `upstreamTls.ca` written into the data plane's
   * directory (as the router trusts it), else the system bundle (Debian's path).
   */
  private trustedCertificate(dir: string): string {
    const ca = this.options.upstreamTls?.ca;
    if (ca === undefined) return '/etc/ssl/certs/ca-certificates.crt';
    const pems = (Array.isArray(ca) ? ca : [ca]).map((c) => c.toString().trim());
    const path = join(dir, 'upstream-ca.pem');
    writeFileSync(path, `${pems.join('\n')}\n`);
    return path;
  }

  /** Renders nginx.conf from the endpoints in rotation; true when it changed. */
  private render(): boolean {
    const inRotation = this.control.endpoints().filter((e) => e.inRotation && !e.draining);
    const eps: RouteEndpoint[] = inRotation.map((e) => ({
      id: e.id,
      host: e.host,
      port: e.port,
      revision: e.revision,
      target: e.target,
      zone: e.zone,
      weight: e.weight,
      ...(e.serverName ? { serverName: e.serverName } : {}),
      ...(e.identityAudience ? { identityAudience: e.identityAudience } : {}),
    }));
    const text = nginxDataPlaneConfig(this.config!, eps, this.control.revisionWeights() ?? undefined);
    if (text === this.rendered) return false;
    // it may hold identity tokens (credentials): readable by its owner only (nginx's master reads
    // it; the workers never do)
    const file = join(this.dir!, 'nginx.conf');
    writeFileSync(file, text, { mode: 0o600 });
    chmodSync(file, 0o600); // a file left from before keeps its mode otherwise
    this.rendered = text;
    // $upstream_addr is what the main upstream lists: host:port, or a TLS endpoint's unix socket
    for (const e of eps) this.byAddr.set(nginxServerAddress(e, this.config!.tls), e.id);
    this.current = { ids: new Set(eps.map((e) => e.id)), pids: this.current.pids };
    return true;
  }

  /** Renders and, when the configuration changed, reloads nginx gracefully and waits for the new workers. */
  private async reload(): Promise<void> {
    const master = this.master;
    if (this.closed || !master?.pid) return;
    const before = this.current;
    if (!this.render()) return;
    const old = this.workers();
    master.kill('SIGHUP');
    // the old workers finish their requests with the old endpoints: they are the drain
    this.retiring.push({ ids: before.ids, pids: old });
    // Live once new workers run and the old ones stopped accepting (they exit, or retitle
    // themselves "worker process is shutting down" and only finish what they have).
    const deadline = Date.now() + 5_000;
    for (;;) {
      const fresh = this.workers().filter((p) => !old.includes(p));
      if (fresh.length > 0 && old.every((p) => !alive(p) || shuttingDown(p))) {
        this.current.pids = fresh;
        return;
      }
      if (Date.now() > deadline || this.closed) {
        this.reloadErrors++;
        return;
      }
      await poll(10);
    }
  }

  /** Worker processes of the nginx master (children in /proc). */
  private workers(): number[] {
    const master = this.master?.pid;
    if (!master) return [];
    const out: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid === master) out.push(Number(entry));
      } catch {
        // gone
      }
    }
    return out;
  }

  private errorLog(): string {
    try {
      return readFileSync(join(this.dir!, 'error.log'), 'utf8').slice(-2000);
    } catch {
      return '';
    }
  }

  // ------------------------------------------------------------------ access log

  /** Reads the access log written so far (stats are at most ~0.5 s behind otherwise). */
  async flushLog(): Promise<void> {
    await this.log?.poll();
  }

  /** `upstream_addr|upstream_status|status|request_time` (NGINX_LOG_FORMAT) */
  private onLogLine(line: string): void {
    const fields = line.split('|');
    if (fields.length !== 4) {
      this.unparsedLogLines++;
      return;
    }
    const [addrs, , statusText, timeText] = fields as [string, string, string, string];
    const status = Number(statusText);
    const ms = Number(timeText) * 1000;
    if (addrs === '-') {
      this.control.unrouted(status === 400 ? 'bad_request' : 'no_endpoint');
      return;
    }
    const tried = addrs.split(/\s*[,:]\s+/).filter((a) => a.length > 0);
    const last = this.byAddr.get(tried[tried.length - 1] ?? '');
    if (last === undefined) {
      this.unparsedLogLines++;
      return;
    }
    const first = tried.length > 1 ? this.byAddr.get(tried[0]!) : undefined;
    this.control.record(last, status, ms, first);
  }
}

/** Stops an nginx whose pid file is in `dir` (left by a controller that died without stopping it). */
async function stopStale(dir: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dir, 'nginx.pid'), 'latin1').trim());
  } catch {
    return;
  }
  const isNginx = () => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'latin1').startsWith('nginx');
    } catch {
      return false;
    }
  };
  if (!(pid > 1) || !isNginx()) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 5_000;
  while (isNginx() && Date.now() < deadline) await poll(20);
  if (isNginx()) process.kill(pid, 'SIGKILL');
}

function shuttingDown(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('shutting down');
  } catch {
    return true; // gone
  }
}

async function freePort(host: string): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r, j) => {
    s.once('error', j);
    s.listen(0, host, () => r());
  });
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
