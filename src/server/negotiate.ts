import { stringify } from 'yaml';
import type { ApiContext } from './endpoint.js';

/** JSON, or YAML when the client asks for `application/yaml`. */
export function respond(c: ApiContext, data: unknown, status: 200 | 201 = 200): Response {
  const accept = c.req.header('accept') ?? '';
  if (/application\/(x-)?yaml|text\/yaml/.test(accept)) {
    return c.body(stringify(data), status, { 'content-type': 'application/yaml; charset=utf-8' });
  }
  return c.json(data as object, status);
}
