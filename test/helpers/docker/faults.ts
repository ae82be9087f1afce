import type Docker from 'dockerode';

/** Client methods a fault can hit (the calls the provider makes first in observe/apply/remove). */
const FAULTABLE = new Set(['listContainers', 'createContainer', 'pull', 'getEvents']);

export type FaultKind = 'retryable' | 'terminal';

/** An error shaped like docker-modem's: a socket error (retryable) or an HTTP 400 from the engine (terminal). */
export function dockerFault(kind: FaultKind): Error {
  if (kind === 'retryable') {
    return Object.assign(new Error('connect ECONNREFUSED /var/run/docker.sock'), {
      code: 'ECONNREFUSED',
      errno: -111,
      syscall: 'connect',
    });
  }
  const message = 'invalid reference format: injected by the test';
  return Object.assign(new Error(`(HTTP code 400) unexpected - ${message} `), {
    statusCode: 400,
    reason: 'bad parameter',
    json: { message },
  });
}

export interface FaultyDocker {
  /** The wrapped client, to pass as `new DockerProvider(settings, { fleet, docker })`. */
  docker: Docker;
  /** The next faultable call (list, create, pull, events) fails with an error of this kind. */
  failNext(kind: FaultKind): void;
}

/** Wraps a dockerode client so tests can make its next call fail the way the engine would. */
export function faultyDocker(real: Docker): FaultyDocker {
  const pending: FaultKind[] = [];
  const docker = new Proxy(real, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof prop !== 'string' || !FAULTABLE.has(prop) || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const kind = pending.shift();
        if (kind) return Promise.reject(dockerFault(kind));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { docker, failNext: (kind) => pending.push(kind) };
}
