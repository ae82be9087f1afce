import type Docker from 'dockerode';
import { throwIfAborted } from '../../src/provider/kit/abort-error.js';
import { dockerMessage, imageNotFound, statusOf, toProviderError } from './errors.js';

/** `name:tag` for a reference without a tag or digest (pulling with no tag would pull every tag). */
export function withDefaultTag(image: string): string {
  if (image.includes('@')) return image;
  const lastSlash = image.lastIndexOf('/');
  return image.slice(lastSlash + 1).includes(':') ? image : `${image}:latest`;
}

/**
 * Makes sure the image is on the engine, pulling it if not: true when it pulled (a write). An image
 * that is neither there nor pullable is a terminal error; an unreachable engine or an abort is
 * classified as usual.
 */
export async function ensureImage(
  docker: Docker,
  image: string,
  options: { target: string; signal?: AbortSignal | undefined },
): Promise<boolean> {
  const { target, signal } = options;
  const ctx = { target, operation: 'pullImage' };
  try {
    await docker.getImage(image).inspect({ abortSignal: signal } as never);
    return false;
  } catch (err) {
    if (statusOf(err) !== 404) throw toProviderError(err, { target, operation: 'inspectImage' });
  }
  throwIfAborted(signal, { provider: 'docker', ...ctx });
  const ref = withDefaultTag(image);
  let detail: string | undefined;
  try {
    const stream = await docker.pull(ref, { abortSignal: signal } as never);
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(
        stream,
        (err: unknown, output: Array<{ error?: string }>) => {
          if (err) return reject(err);
          const failed = output?.find((o) => o.error);
          if (failed)
            return reject(Object.assign(new Error(failed.error), { statusCode: 500, json: { message: failed.error } }));
          resolve();
        },
        () => {},
      );
    });
  } catch (err) {
    // the engine itself unreachable (or an abort): classify as usual; the registry said no: terminal
    if (statusOf(err) === undefined) throw toProviderError(err, ctx);
    detail = dockerMessage(err);
  }
  if (detail === undefined) {
    try {
      await docker.getImage(image).inspect();
      return true;
    } catch (err) {
      detail = `pull finished but the image is still missing: ${dockerMessage(err)}`;
    }
  }
  throw imageNotFound(image, detail, ctx);
}
