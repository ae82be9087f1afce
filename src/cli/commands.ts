import { autoscaleBounds, autoscaleRange, autoscalingLines } from './autoscaling-lines.js';
import type { DeleteResult, Fleet, PlanResult } from '../fleet.js';
import { formatPlacementTable } from '../placement/index.js';
import type { ConvergeResult } from '../reconcile/converge.js';
import type { Deployment } from '../spec/deployment.js';
import { NotFoundError } from '../errors/index.js';
import type { GlobalOptions } from './config.js';
import { compose } from './container.js';
import { parseDuration } from './duration.js';
import { leaseTtl } from './flag-checks.js';
import { emit, outputFormat } from './output.js';
import { progressPrinter } from './progress-printer.js';
import { replicaRows } from './replica-rows.js';
import { UsageError } from './usage-error.js';
import { age, table } from './table.js';

async function withFleet<T>(
  opts: GlobalOptions,
  file: string | undefined,
  fn: (fleet: Fleet, deployments: Deployment[], recordFleet: () => Promise<void>) => Promise<T>,
  options: { recordFleet?: boolean } = {},
): Promise<T> {
  const { fleet, config, recordFleet } = await compose(opts, file, options);
  try {
    return await fn(fleet, config.deployments, recordFleet ?? (async () => undefined));
  } finally {
    await fleet.close();
  }
}

function requireDeployments(file: string, deployments: Deployment[]): Deployment[] {
  if (!deployments.length) {
    throw new UsageError(`${file} has no Deployment document (kind: Deployment)`);
  }
  return deployments;
}

function interruptible(): AbortController {
  const ac = new AbortController();
  const stop = () => ac.abort(new Error('interrupted'));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return ac;
}

export async function applyCommand(
  opts: GlobalOptions,
  cmd: { filename: string; timeout?: string; wait: boolean },
): Promise<void> {
  const format = outputFormat(opts);
  const timeoutMs = cmd.timeout ? parseDuration(cmd.timeout, '--timeout') : undefined;
  await withFleet(
    opts,
    cmd.filename,
    async (fleet, deployments, recordFleet) => {
      const results: Array<{ deployment: string } & Pick<ConvergeResult, 'revision' | 'writes' | 'progress'>> = [];
      const ac = interruptible();
      // every document passes every check before the first is applied: a rejected file changes
      // nothing (the fleet is recorded only then)
      for (const d of requireDeployments(cmd.filename, deployments)) await fleet.validate(d);
      await recordFleet();
      for (const d of deployments) {
        const printer = format === 'table' ? progressPrinter(process.stderr) : undefined;
        const res = await fleet.apply(d, {
          ...(timeoutMs !== undefined ? { timeoutMs } : {}),
          wait: cmd.wait,
          signal: ac.signal,
          onProgress: (p) => printer?.update(p),
        });
        printer?.end();
        results.push({
          deployment: d.metadata.name,
          revision: res.revision,
          writes: res.writes,
          progress: res.progress,
        });
        if (format === 'table') {
          const name = d.metadata.name;
          if (res.progress.phase.startsWith('Paused')) {
            process.stdout.write(
              `deployment/${name} rollout ${res.progress.phase}; continue with \`skyfleet rollout promote ${name}\`\n`,
            );
          } else {
            const verb = res.byController
              ? cmd.wait
                ? 'rolled out by the controller'
                : 'handed to the controller'
              : res.created && res.writes === 0
                ? 'created'
                : res.writes === 0
                  ? 'unchanged'
                  : cmd.wait
                    ? 'converged'
                    : 'started';
            process.stdout.write(
              `deployment/${name} ${verb}: revision ${res.revision}, ready ${res.progress.ready}/${res.progress.replicas}\n`,
            );
          }
        }
      }
      if (format !== 'table') await emit(format, results, () => '');
    },
    { recordFleet: true },
  );
}

export function planText(plan: PlanResult): string {
  const out = [
    `deployment/${plan.deployment}: revision ${plan.previousRevision ?? '(none)'} -> ${plan.revision}`,
    '',
    formatPlacementTable(plan.placement),
    '',
  ];
  if (!plan.steps.length) out.push('No changes: the deployment is up to date.');
  plan.steps.forEach((step, i) => {
    out.push(`step ${i + 1}:`);
    for (const a of step)
      out.push(
        `  ${a.type.padEnd(6)} ${`${a.target}/${a.zone}`.padEnd(24)} ${a.revision}  ${a.from} -> ${a.to}   ${a.reason}`,
      );
  });
  if (!plan.converges)
    out.push('', 'warning: these steps do not reach the desired state; check the placement policy and strategy');
  return out.join('\n');
}

export async function planCommand(opts: GlobalOptions, cmd: { filename: string }): Promise<void> {
  const format = outputFormat(opts);
  await withFleet(opts, cmd.filename, async (fleet, deployments) => {
    const plans: PlanResult[] = [];
    for (const d of requireDeployments(cmd.filename, deployments)) plans.push(await fleet.plan(d));
    await emit(format, plans.length === 1 ? plans[0] : plans, () => plans.map(planText).join('\n\n'));
  });
}

export async function getCommand(
  opts: GlobalOptions,
  what: string | undefined,
  cmd: { deployment?: string; limit?: string; watch?: boolean },
): Promise<void> {
  const format = outputFormat(opts);
  const kind = what ?? 'deployments';
  if (cmd.watch) return watchCommand(opts, kind, cmd);
  await withFleet(opts, undefined, async (fleet) => {
    if (['events', 'event', 'ev'].includes(kind)) {
      const events = await fleet.events({
        ...(cmd.deployment ? { deployment: cmd.deployment } : {}),
        limit: cmd.limit ? Number(cmd.limit) : 50,
      });
      const now = Date.now();
      await emit(format, events, () =>
        events.length
          ? table(
              ['AGE', 'TYPE', 'DEPLOYMENT', 'REASON', 'MESSAGE'],
              events.map((e) => [age(now - e.time), e.type, e.deployment ?? '', e.reason, e.message]),
            )
          : 'No events.',
      );
      return;
    }
    if (!['deployments', 'deployment', 'deploy'].includes(kind)) {
      throw new UsageError(`get: expected "deployments" or "events", got ${JSON.stringify(kind)}`);
    }
    const list = await fleet.list();
    const statuses = await Promise.all(list.map((d) => fleet.status(d.name)));
    const now = Date.now();
    await emit(
      format,
      statuses.map((s, i) => ({
        name: s.name,
        revision: s.revision,
        replicas: s.replicas,
        ready: s.ready,
        upToDate: s.current,
        domains: s.domains,
        ...autoscaleBounds(list[i]!.spec.spec.autoscaling),
      })),
      () =>
        statuses.length
          ? table(
              ['NAME', 'READY', 'UP-TO-DATE', 'AUTOSCALE', 'REVISION', 'DOMAINS', 'AGE'],
              statuses.map((s, i) => [
                s.name,
                `${s.ready}/${s.replicas}`,
                s.current,
                autoscaleRange(list[i]!.spec.spec.autoscaling),
                s.revision,
                s.domains.map((d) => `${d.target}/${d.zone}=${d.ready}`).join(',') || '-',
                age(now - list[i]!.updatedAt),
              ]),
            )
          : 'No deployments.',
    );
  });
}

export async function describeCommand(opts: GlobalOptions, kind: string, name: string): Promise<void> {
  const format = outputFormat(opts);
  if (!['deployment', 'deployments', 'deploy'].includes(kind)) {
    throw new UsageError(`describe: expected "deployment NAME", got ${JSON.stringify(kind)}`);
  }
  await withFleet(opts, undefined, async (fleet) => {
    const [rec, status, history, events, auto] = await Promise.all([
      fleet.get(name),
      fleet.status(name),
      fleet.history(name),
      fleet.events({ deployment: name, limit: 15 }),
      fleet.autoscaling(name),
    ]);
    const data = {
      name,
      generation: status.generation,
      revision: status.revision,
      spec: rec?.spec,
      status,
      history: history.map((h) => ({
        number: h.number,
        revision: h.revision,
        createdAt: new Date(h.createdAt).toISOString(),
        ...(h.cause ? { cause: h.cause } : {}),
      })),
      events,
      ...(auto ? { autoscaling: auto } : {}),
    };
    const now = Date.now();
    await emit(format, data, () => {
      const c = rec!.spec.spec;
      const lines = [
        `Name:        ${name}`,
        `Labels:      ${
          Object.entries(rec!.spec.metadata.labels ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join(', ') || '<none>'
        }`,
        `Revision:    ${status.revision} (#${status.revisionNumber ?? '?'}), generation ${status.generation}`,
        `Replicas:    ${status.replicas} desired | ${status.current} up-to-date | ${status.ready} ready`,
        `Strategy:    ${c.strategy.type}${c.strategy.type === 'RollingUpdate' ? ` (maxSurge ${c.strategy.rollingUpdate.maxSurge}, maxUnavailable ${c.strategy.rollingUpdate.maxUnavailable})` : ''}`,
        ...(auto ? autoscalingLines(auto, now) : []),
        `Containers:`,
        ...c.template.containers.map(
          (x) =>
            `  ${x.name}: ${x.image}${x.ports.length ? ` ports ${x.ports.map((p) => p.containerPort).join(',')}` : ''}`,
        ),
        '',
        'Conditions:',
        status.conditions.length
          ? table(
              ['TYPE', 'STATUS', 'REASON', 'MESSAGE'],
              status.conditions.map((x) => [x.type, x.status, x.reason, x.message]),
            )
          : '  <none: no controller has reconciled it yet>',
        '',
        'Domains:',
        status.domains.length
          ? table(
              ['TARGET/ZONE', 'WANTED', 'UP-TO-DATE', 'READY', 'OLD'],
              status.domains.map((d) => [`${d.target}/${d.zone}`, d.desired, d.current, d.ready, d.old]),
            )
          : '  <none>',
        '',
        'Replicas:',
        table(['NAME', 'TARGET/ZONE', 'REVISION', 'STATE', 'ENDPOINTS', 'MESSAGE'], replicaRows(status.slices)),
        '',
        'History:',
        table(
          ['#', 'REVISION', 'CREATED', 'CHANGE-CAUSE'],
          history.map((h) => [h.number, h.revision, new Date(h.createdAt).toISOString(), h.cause ?? '-']),
        ),
        '',
        'Events:',
        events.length
          ? table(
              ['AGE', 'TYPE', 'REASON', 'MESSAGE'],
              events.map((e) => [age(now - e.time), e.type, e.reason, e.message]),
            )
          : '  <none>',
      ];
      return lines.join('\n');
    });
  });
}

export async function scaleCommand(
  opts: GlobalOptions,
  name: string,
  cmd: { replicas: string; timeout?: string; wait: boolean },
): Promise<void> {
  const n = Number(cmd.replicas);
  if (!/^\d+$/.test(cmd.replicas))
    throw new UsageError(`--replicas: expected an integer 0 or more, got ${JSON.stringify(cmd.replicas)}`);
  const format = outputFormat(opts);
  await withFleet(opts, undefined, async (fleet) => {
    const printer = format === 'table' ? progressPrinter(process.stderr) : undefined;
    const res = await fleet.scale(name, n, {
      ...(cmd.timeout ? { timeoutMs: parseDuration(cmd.timeout, '--timeout') } : {}),
      wait: cmd.wait,
      signal: interruptible().signal,
      onProgress: (p) => printer?.update(p),
    });
    await emit(
      format,
      { deployment: name, replicas: n, ready: res.progress.ready, revision: res.revision },
      () => `deployment/${name} scaled to ${n}: ready ${res.progress.ready}/${n}`,
    );
  });
}

export async function deleteCommand(opts: GlobalOptions, names: string[], cmd: { filename?: string }): Promise<void> {
  const format = outputFormat(opts);
  await withFleet(opts, cmd.filename, async (fleet, deployments) => {
    // each deployment once, however often it is named; all of them known before the first goes
    const all = [...new Set([...names, ...deployments.map((d) => d.metadata.name)])];
    if (!all.length) throw new UsageError('delete: name a deployment, or pass -f FILE');
    const missing: string[] = [];
    for (const n of all) if (!(await fleet.get(n))) missing.push(n);
    if (missing.length && missing.length < all.length) {
      throw new NotFoundError(
        'deployment',
        missing.join(', '),
        `fleet ${fleet.name} has no such deployment: nothing was deleted (delete the others without it)`,
      );
    }
    const results: DeleteResult[] = [];
    for (const n of all) results.push(await fleet.delete(n));
    await emit(format, results, () =>
      results
        .map(
          (r) =>
            `deployment/${r.deployment} deleted (${r.removed.reduce((a, x) => a + x.replicas, 0)} replicas removed)`,
        )
        .join('\n'),
    );
  });
}

export async function schemaCommand(opts: GlobalOptions, kind?: string): Promise<void> {
  const { jsonSchemas } = await import('../spec/json-schema.js');
  const schemas = jsonSchemas();
  const format = opts.output === 'yaml' ? 'yaml' : 'json';
  if (kind && kind !== 'Fleet' && kind !== 'Deployment') {
    throw new UsageError(`schema: expected Fleet or Deployment, got ${JSON.stringify(kind)}`);
  }
  await emit(format, kind === 'Fleet' || kind === 'Deployment' ? schemas[kind] : schemas, () => '');
}

export async function controllerCommand(
  opts: GlobalOptions,
  cmd: {
    metricsAddress: string;
    leaseTtl?: string;
    resync?: string;
    identity?: string;
    outageAfter?: string;
    outageCooldown?: string;
  },
): Promise<void> {
  const { fleet, logger, config } = await compose(opts, undefined, { ignoreContexts: true });
  const { createControllerMetrics } = await import('../reconcile/metrics.js');
  const { serveMetrics } = await import('./metrics-server.js');
  const metrics = await createControllerMetrics();
  const server = cmd.metricsAddress === 'off' ? undefined : await serveMetrics(metrics.registry, cmd.metricsAddress);
  const ac = new AbortController();
  const stop = (sig: string) => {
    logger.info({ signal: sig }, 'shutting down: finishing the passes in flight, then releasing the lease');
    ac.abort(new Error(sig));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.stderr.write(
    `controller for fleet ${fleet.name} started${server ? `; metrics on http://${server.address}/metrics` : ''}\n`,
  );
  // git sources (skyfleet sync) are passed on their intervals beside the deployments
  const [{ openStore }, { startSyncLoop }] = await Promise.all([
    import('../store/open-store.js'),
    import('./sync-loop-runner.js'),
  ]);
  const syncStore = await openStore(config.storePath!);
  const sync = await startSyncLoop(fleet, syncStore, logger, ac.signal);
  try {
    await fleet.run({
      signal: ac.signal,
      metrics,
      ...(cmd.identity ? { identity: cmd.identity } : {}),
      ...(cmd.leaseTtl ? { leaseTtlMs: leaseTtl(cmd.leaseTtl) } : {}),
      ...(cmd.resync ? { resyncMs: parseDuration(cmd.resync, '--resync') } : {}),
      ...(cmd.outageAfter || cmd.outageCooldown
        ? {
            domainHealth: {
              ...(cmd.outageAfter ? { failureWindowMs: parseDuration(cmd.outageAfter, '--outage-after') } : {}),
              ...(cmd.outageCooldown ? { cooldownMs: parseDuration(cmd.outageCooldown, '--outage-cooldown') } : {}),
            },
          }
        : {}),
    });
  } finally {
    ac.abort(new Error('controller stopped'));
    await sync.done;
    await syncStore.close();
    await server?.close();
    await fleet.close();
  }
}

export async function rolloutCommand(
  opts: GlobalOptions,
  action: string,
  name: string,
  cmd: { toRevision?: string; timeout?: string; wait: boolean; watch?: boolean },
): Promise<void> {
  const format = outputFormat(opts);
  const actions = ['status', 'promote', 'pause', 'resume', 'abort', 'undo', 'history'];
  if (!actions.includes(action)) {
    throw new UsageError(`rollout: expected one of ${actions.join(', ')}, got ${JSON.stringify(action)}`);
  }
  if (cmd.watch && action !== 'status')
    throw new UsageError(`rollout ${action}: -w/--watch goes with \`rollout status\` only; drop it`);
  if (cmd.watch) return rolloutWatchCommand(opts, name, cmd.timeout);
  if (cmd.toRevision !== undefined && !/^\d+$/.test(cmd.toRevision)) {
    throw new UsageError(
      `--to-revision: expected a revision number (see \`skyfleet rollout history ${name}\`), got ${JSON.stringify(cmd.toRevision)}`,
    );
  }
  await withFleet(opts, undefined, async (fleet) => {
    if (action === 'status') {
      const r = await fleet.rollout.status(name);
      const st = r.state;
      await emit(format, r, () =>
        [
          `deployment/${name}: ${r.strategy}${st ? ` ${st.phase}` : ''}`,
          st ? `  stable ${st.stable ?? '-'}  ->  ${st.canary}   step ${st.step}` : '  no progressive rollout recorded',
          st?.message ? `  ${st.message}` : '',
          `  ready ${r.status.ready}/${r.status.replicas}, revision ${r.status.revision}`,
          ...r.status.domains.map(
            (d) =>
              `  ${`${d.target}/${d.zone}`.padEnd(28)} ready ${d.ready}/${d.desired}${d.old ? `   old ${d.old}` : ''}`,
          ),
        ]
          .filter(Boolean)
          .join('\n'),
      );
      return;
    }
    if (action === 'history') {
      const h = await fleet.rollout.history(name);
      const cur = (await fleet.get(name))?.revision;
      await emit(format, h, () =>
        table(
          ['#', 'REVISION', 'CREATED', 'CHANGE-CAUSE', ''],
          h.map((x) => [
            x.number,
            x.revision,
            new Date(x.createdAt).toISOString(),
            x.cause ?? '-',
            x.revision === cur ? '(current)' : '',
          ]),
        ),
      );
      return;
    }
    if (action === 'undo') {
      const res = await fleet.rollout.undo(name, {
        ...(cmd.toRevision !== undefined ? { toRevision: Number(cmd.toRevision) } : {}),
        ...(cmd.timeout ? { timeoutMs: parseDuration(cmd.timeout, '--timeout') } : {}),
        wait: cmd.wait,
        signal: interruptible().signal,
      });
      await emit(
        format,
        { deployment: name, revision: res.revision, ready: res.progress.ready },
        () =>
          `deployment/${name} rolled back to revision ${res.revision}: ready ${res.progress.ready}/${res.progress.replicas}`,
      );
      return;
    }
    const st = await fleet.rollout[action as 'promote' | 'pause' | 'resume' | 'abort'](name);
    await emit(
      format,
      st,
      () =>
        `deployment/${name}: ${action} requested (rollout ${st.phase}: ${st.message || 'the controller acts on it'})`,
    );
  });
}

export async function migrateCommand(
  opts: GlobalOptions,
  name: string,
  cmd: { to: string; from?: string; timeout?: string },
): Promise<void> {
  const format = outputFormat(opts);
  const list = (v: string) =>
    v
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  await withFleet(opts, undefined, async (fleet) => {
    const printer = format === 'table' ? progressPrinter(process.stderr) : undefined;
    const res = await fleet.migrate(
      name,
      { to: list(cmd.to), ...(cmd.from ? { from: list(cmd.from) } : {}) },
      {
        ...(cmd.timeout ? { timeoutMs: parseDuration(cmd.timeout, '--timeout') } : {}),
        signal: interruptible().signal,
        onProgress: (p) => printer?.update(p),
      },
    );
    await emit(
      format,
      { deployment: name, revision: res.revision, domains: res.progress.domains },
      () =>
        `deployment/${name} migrated: ${res.progress.domains
          .filter((d) => d.ready)
          .map((d) => `${d.target}/${d.zone}=${d.ready}`)
          .join(', ')}`,
    );
  });
}

export async function exportCommand(opts: GlobalOptions, what: string, name: string): Promise<void> {
  if (what !== 'nginx') throw new UsageError(`export: expected "nginx", got ${JSON.stringify(what)}`);
  await withFleet(opts, undefined, async (fleet) => {
    process.stdout.write(await fleet.exportNginx(name));
  });
}

/**
 * `rollout status NAME -w`: each change of the rollout until it completes (exit 0) or is aborted
 * (exit 1); through a server on its feed of the deployment's events (and a read every second),
 * locally by reading the store's status every 250 ms.
 */
async function rolloutWatchCommand(opts: GlobalOptions, name: string, timeout: string | undefined): Promise<void> {
  const format = outputFormat(opts);
  const timeoutMs = timeout ? parseDuration(timeout, '--timeout') : undefined;
  const { followRollout } = await import('./rollout-follow.js');
  await withFleet(opts, undefined, async (fleet) => {
    const remote = fleet as Partial<import('../remote/index.js').RemoteFleet>;
    const watch = remote.watch;
    await fleet.rollout.status(name); // a deployment that does not exist fails as `rollout status` does
    await followRollout({
      name,
      read: () => fleet.rollout.status(name),
      ...(watch
        ? {
            feed: (wake: () => void, signal: AbortSignal) =>
              watch.call(fleet, 'events', { name, signal, onEvent: () => wake() }),
          }
        : {}),
      pollMs: watch ? 1000 : 250,
      signal: interruptible().signal,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      onChange: (line, status) =>
        process.stdout.write(format === 'table' ? `${line}\n` : `${JSON.stringify(status)}\n`),
    });
  });
}

/** `get -w`: every change from the server's feed, from the version the list was read at, until interrupted. */
async function watchCommand(opts: GlobalOptions, kind: string, cmd: { deployment?: string }): Promise<void> {
  const format = outputFormat(opts);
  const events = ['events', 'event', 'ev'].includes(kind);
  await withFleet(opts, undefined, async (fleet) => {
    const remote = fleet as Partial<import('../remote/index.js').RemoteFleet>;
    if (!remote.watch || !remote.listWithVersion) {
      throw new UsageError('get -w follows the change feed of a skyfleet server: pass --server and --token');
    }
    const { resourceVersion } = await remote.listWithVersion();
    const ac = interruptible();
    await remote.watch(events ? 'events' : 'deployments', {
      from: resourceVersion,
      signal: ac.signal,
      ...(cmd.deployment ? { name: cmd.deployment } : {}),
      onOpen: () =>
        process.stderr.write(`watching ${events ? 'events' : 'deployments'} from version ${resourceVersion}\n`),
      onEvent: (e) => {
        if (format !== 'table') {
          process.stdout.write(`${JSON.stringify(e)}\n`);
          return;
        }
        if (e.kind === 'event') {
          const ev = e.object as { type: string; deployment: string | null; reason: string; message: string };
          process.stdout.write(`${ev.type}\t${ev.deployment ?? ''}\t${ev.reason}\t${ev.message}\n`);
        } else {
          const d = e.object as {
            name: string;
            revision?: string;
            generation?: number;
            spec?: { spec?: { replicas?: number } };
          };
          process.stdout.write(
            `deployment/${d.name} ${e.type}${d.revision ? `: revision ${d.revision}, generation ${d.generation}, replicas ${d.spec?.spec?.replicas}` : ''}\n`,
          );
        }
      },
    });
  });
}
