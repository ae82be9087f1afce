import type { z } from 'zod';
import { ValidationError } from '../errors/index.js';
import type { Deployment } from '../spec/deployment.js';
import { loadDocuments } from '../spec/load.js';
import { toIssues } from '../spec/validate.js';
import { ApiError } from './api-error.js';
import type { ApiContext } from './endpoint.js';

const JSON_TYPE = /^application\/json\b/i;
const YAML_TYPE = /^(application\/(x-)?yaml|text\/yaml|text\/x-yaml)\b/i;

/** The request body as text, refused beyond `maxBytes` (413) or for a content type not in `yaml` / `json` (415). */
async function bodyText(c: ApiContext, maxBytes: number, yaml: boolean): Promise<{ text: string; json: boolean }> {
  const type = c.req.header('content-type') ?? '';
  const json = JSON_TYPE.test(type);
  if (!json && !(yaml && YAML_TYPE.test(type))) {
    throw new ApiError(
      415,
      'unsupported_media_type',
      `expected a body of type application/json${yaml ? ' or application/yaml' : ''}, got ${type ? JSON.stringify(type) : 'none'}`,
    );
  }
  const declared = Number(c.req.header('content-length') ?? Number.NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const buf = await c.req.arrayBuffer();
  if (buf.byteLength > maxBytes) throw tooLarge(maxBytes);
  return { text: new TextDecoder().decode(buf), json };
}

const tooLarge = (max: number) =>
  new ApiError(
    413,
    'payload_too_large',
    `the request body is larger than ${max} bytes: send fewer or smaller documents`,
  );

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ValidationError([{ path: '', message: `malformed JSON: ${(e as Error).message}` }], 'request body');
  }
}

/** Deployment documents of an apply, plan or validate body: all of them valid, or a ValidationError naming each problem. */
export async function readDocuments(c: ApiContext, maxBytes: number, fleetName: string): Promise<Deployment[]> {
  const { text, json } = await bodyText(c, maxBytes, true);
  let yamlText = text;
  if (json) {
    const value = parseJson(text);
    // JSON is YAML: each document of an array is one YAML document
    yamlText = Array.isArray(value) ? value.map((v) => JSON.stringify(v)).join('\n---\n') : JSON.stringify(value);
  }
  const docs = loadDocuments(yamlText, 'request body');
  if (docs.fleet && docs.fleet.metadata.name !== fleetName) {
    throw new ValidationError(
      [{ path: 'metadata.name', message: `this server runs fleet "${fleetName}", not "${docs.fleet.metadata.name}"` }],
      'request body',
    );
  }
  if (!docs.deployments.length) {
    throw new ValidationError([{ path: 'kind', message: 'expected at least one Deployment document' }], 'request body');
  }
  return docs.deployments;
}

/** A JSON body checked against `schema` (unknown fields refused). */
export async function readJson<T>(c: ApiContext, maxBytes: number, schema: z.ZodType<T>): Promise<T> {
  const { text } = await bodyText(c, maxBytes, false);
  const value = text.trim() === '' ? {} : parseJson(text);
  const res = schema.safeParse(value);
  if (!res.success) throw new ValidationError(toIssues(schema, res.error, '', value), 'request body');
  return res.data;
}
