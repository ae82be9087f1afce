import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { type TarEntry, tar } from './tar.js';

/** The static busybox every test image is made of (no registry needed). */
export const BUSYBOX = '/usr/bin/busybox';

/** Applets linked into /bin of the test images. */
const APPLETS = ['sh', 'httpd', 'wget', 'nc', 'sleep', 'cat', 'echo', 'ls', 'kill', 'true', 'false', 'test', 'env'];

/** The default command: busybox httpd on 8080 under a shell that exits at once on SIGTERM. */
export const WEB_CMD = ['sh', '-c', 'trap "exit 0" TERM; httpd -f -p 8080 -h /www & wait'];

export const TEST_IMAGE_LABEL = 'skyfleet.test/image';

/** The Dockerfile of a busybox web image (also used by examples/hello/image). */
export function webDockerfile(version: string): string {
  return [
    'FROM scratch',
    'COPY bin /bin',
    'COPY www /www',
    `LABEL ${TEST_IMAGE_LABEL}="${version}"`,
    'EXPOSE 8080',
    `CMD ${JSON.stringify(WEB_CMD)}`,
    '',
  ].join('\n');
}

/** The build context of a busybox web image whose `GET /` answers 200 with the version in it. */
export function webContext(version: string): Buffer {
  const entries: TarEntry[] = [
    { type: 'file', path: 'Dockerfile', content: webDockerfile(version) },
    { type: 'dir', path: 'bin' },
    { type: 'file', path: 'bin/busybox', content: readFileSync(BUSYBOX), mode: 0o755 },
    ...APPLETS.map((a): TarEntry => ({ type: 'symlink', path: `bin/${a}`, target: 'busybox' })),
    { type: 'dir', path: 'www' },
    { type: 'file', path: 'www/index.html', content: `<h1>skyfleet test web ${version}</h1>\n` },
    { type: 'file', path: 'www/version', content: `${version}\n` },
  ];
  return tar(entries);
}

async function exists(docker: Docker, tag: string): Promise<boolean> {
  try {
    await docker.getImage(tag).inspect();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw err;
  }
}

/** Builds an image from an in-memory tar context; rejects with the build's own error output. */
export async function buildFromContext(docker: Docker, context: Buffer, tag: string): Promise<void> {
  const stream = await docker.buildImage(Readable.from([context]), { t: tag, rm: true, forcerm: true });
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: unknown, output: Array<{ error?: string; stream?: string }>) => {
      if (err) return reject(err);
      const failed = output.find((o) => o.error);
      if (failed) return reject(new Error(`docker build ${tag} failed: ${failed.error}`));
      resolve();
    });
  });
}

const building = new Map<string, Promise<string>>();

/**
 * Builds `skyfleet-test/web:<version>` FROM scratch with the static busybox (httpd on 8080, /www
 * with an index.html naming the version). Cheap when the tag exists already; safe to call from
 * several tests at once.
 */
export function ensureWebImage(docker: Docker, version = '1'): Promise<string> {
  const tag = `skyfleet-test/web:${version}`;
  let p = building.get(tag);
  if (!p) {
    p = (async () => {
      if (!(await exists(docker, tag))) await buildFromContext(docker, webContext(version), tag);
      return tag;
    })();
    p.catch(() => building.delete(tag));
    building.set(tag, p);
  }
  return p;
}
