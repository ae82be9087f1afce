import { type Plain, type Scope, isPlain, show, warnUnhandled } from '../scope.js';
import type { ContainerPortDoc, ServiceDoc } from '../skyfleet-types.js';

export interface ComposePorts {
  ports: ContainerPortDoc[];
  service?: ServiceDoc;
}

interface Published {
  target: number;
  published?: number;
  hostIp?: string;
  protocol: 'TCP' | 'UDP';
}

/** "8080", "8000:8000", "127.0.0.1:80:80", "5000:5000/udp", or the long form. */
function parsePort(scope: Scope, raw: unknown): Published | undefined {
  if (isPlain(raw)) {
    const target = Number(raw.target);
    if (!Number.isInteger(target)) {
      scope.warn('expected target: a container port number: left out', 'target');
      return undefined;
    }
    const protocol = String(raw.protocol ?? 'tcp').toUpperCase();
    if (protocol !== 'TCP' && protocol !== 'UDP') {
      scope.warn(`skyfleet publishes tcp and udp ports, not ${show(raw.protocol)}: left out`, 'protocol');
      return undefined;
    }
    const published = raw.published === undefined ? undefined : Number(raw.published);
    if (published !== undefined && !Number.isInteger(published)) {
      scope.warn(`skyfleet's listener binds one port, not the range ${show(raw.published)}: left out`, 'published');
      return undefined;
    }
    warnUnhandled(
      scope,
      raw,
      ['target', 'published', 'protocol', 'host_ip'],
      {
        mode: "skyfleet balances through its listener: swarm's ingress/host mode does not apply",
        name: "skyfleet's listener has no port name",
        app_protocol: "skyfleet's listener speaks HTTP",
      },
      'not a field of a port',
    );
    return {
      target,
      ...(published !== undefined ? { published } : {}),
      ...(typeof raw.host_ip === 'string' ? { hostIp: raw.host_ip } : {}),
      protocol,
    };
  }
  const text = String(raw);
  const m = /^(?:(?:\[([^\]]+)\]|(\d+\.\d+\.\d+\.\d+)):)?(?:(\d+)?:)?(\d+)(?:\/(tcp|udp))?$/i.exec(text.trim());
  if (!m) {
    scope.warn(
      `skyfleet publishes single ports, not ${show(text)} (ranges and other forms are not supported): left out; list each port`,
    );
    return undefined;
  }
  return {
    target: Number(m[4]),
    ...(m[3] !== undefined ? { published: Number(m[3]) } : {}),
    ...((m[1] ?? m[2]) ? { hostIp: (m[1] ?? m[2])! } : {}),
    protocol: (m[5] ?? 'tcp').toUpperCase() as 'TCP' | 'UDP',
  };
}

/**
 * `ports` and `expose`: every container port is declared; the first published TCP port becomes
 * the deployment's listener (service.port -> targetPort), bound to its host address or 0.0.0.0
 * as Docker publishes.
 */
export function convertPorts(scope: Scope, svc: Plain): ComposePorts {
  const ports: ContainerPortDoc[] = [];
  const declare = (target: number, protocol: 'TCP' | 'UDP') => {
    if (!ports.some((p) => p.containerPort === target && (p.protocol ?? 'TCP') === protocol))
      ports.push(protocol === 'TCP' ? { containerPort: target } : { containerPort: target, protocol });
  };
  let service: ServiceDoc | undefined;
  let servedBy: number | undefined;
  if (svc.ports !== undefined) {
    const list = Array.isArray(svc.ports) ? svc.ports : [];
    if (!Array.isArray(svc.ports)) scope.warn(`expected a list of ports, got ${show(svc.ports)}`, 'ports');
    list.forEach((raw, i) => {
      const s = scope.at('ports', i);
      const p = parsePort(s, raw);
      if (!p) return;
      declare(p.target, p.protocol);
      if (p.published === undefined) {
        s.warn(
          `no published port: Docker would pick a random host port; skyfleet publishes container port ${p.target} to its provider only (no listener)`,
        );
        return;
      }
      if (p.protocol !== 'TCP') {
        s.warn(
          `skyfleet's listener carries TCP (HTTP): UDP port ${p.published} is declared on the container but not published by a listener`,
        );
        return;
      }
      if (service) {
        s.warn(
          `skyfleet's service has one listener, on port ${servedBy}: port ${p.published} is declared on the container (${p.target}) but not published`,
        );
        return;
      }
      service = {
        port: p.published,
        targetPort: p.target,
        bindAddress: p.hostIp ?? '0.0.0.0',
      };
      servedBy = p.published;
    });
  }
  if (svc.expose !== undefined) {
    const list = Array.isArray(svc.expose) ? svc.expose : [];
    list.forEach((raw, i) => {
      const m = /^(\d+)(?:\/(tcp|udp))?$/i.exec(String(raw).trim());
      if (!m) {
        scope.warn(`expected a port number, got ${show(raw)} (ranges are not supported): left out`, 'expose', i);
        return;
      }
      declare(Number(m[1]), (m[2] ?? 'tcp').toUpperCase() as 'TCP' | 'UDP');
    });
  }
  return { ports, ...(service ? { service } : {}) };
}
