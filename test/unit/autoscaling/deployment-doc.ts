import { expect } from 'vitest';
import { ValidationError } from '../../../src/errors/index.js';
import { parseDeployment } from '../../../src/spec/load.js';

/** A Deployment document as a user writes it; tests write any value into it. */
export interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    replicas: number;
    template: { containers: Array<Record<string, unknown>> };
    service?: unknown;
    autoscaling: Record<string, unknown>;
  };
}

export const base = (): Doc => ({
  apiVersion: 'skyfleet.dev/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    replicas: 2,
    template: {
      containers: [
        {
          name: 'web',
          image: 'hello/web:1',
          ports: [{ name: 'http', containerPort: 8080 }],
          resources: { cpu: '250m', memory: '64Mi' },
        },
      ],
    },
    service: { port: 9000, targetPort: 'http' },
    autoscaling: { minReplicas: 1, maxReplicas: 20, metrics: [{ type: 'concurrency', target: 10 }] },
  },
});

export type Mut = (d: Doc) => void;

export function problems(mut: Mut): Array<{ path: string; message: string }> {
  const d = base();
  mut(d);
  try {
    parseDeployment(d);
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return [...(e as ValidationError).issues];
  }
  return [];
}
