import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  findNginx,
  nginxServerAddress,
  nginxServerWeights,
  nginxUpstreamConfig,
  type RouteEndpoint,
} from '../../../src/traffic/index.js';
import { requires } from '../../helpers/requires.js';

const endpoints: RouteEndpoint[] = [
  { id: 'web-a-1', host: '127.0.0.1', port: 32768, revision: '5d8f', target: 'local', zone: 'local' },
  { id: 'web-a-2', host: '127.0.0.1', port: 32769, revision: '5d8f', target: 'local', zone: 'local', weight: 2 },
  { id: 'web-b-1', host: '10.0.0.5', port: 8080, revision: '9c1e', target: 'aws', zone: 'eu-west-1a' },
  { id: 'web-old', host: '10.0.0.6', port: 8080, revision: '0000', target: 'aws', zone: 'eu-west-1b' },
];
const weights = { '5d8f': 90, '9c1e': 10 };
const golden = readFileSync(new URL('./golden/nginx-web.conf', import.meta.url), 'utf8');

/** nginx: $SKYFLEET_TEST_NGINX (a path), else on PATH or in the usual sbin folders. */
function findTestNginx(): string | null {
  const given = process.env.SKYFLEET_TEST_NGINX;
  if (given) return findNginx(given);
  for (const p of ['/usr/local/nginx/sbin/nginx']) if (existsSync(p)) return p;
  return findNginx();
}

describe('nginxUpstreamConfig', () => {
  it('renders the same endpoints and shares as the router (golden text)', () => {
    expect(nginxUpstreamConfig('web', endpoints, weights)).toBe(golden);
  });

  it('turns revision x endpoint weights into integer server weights', () => {
    const w = nginxServerWeights(endpoints, weights).map((x) => [x.endpoint.id, x.weight]);
    // 90% over weights 1:2 -> 30/60, 10% -> 10, revision 0000 unlisted -> 0
    expect(w).toEqual([
      ['web-a-1', 3],
      ['web-a-2', 6],
      ['web-b-1', 1],
      ['web-old', 0],
    ]);
    expect(nginxServerWeights(endpoints).map((x) => x.weight)).toEqual([1, 2, 1, 1]);
    expect(nginxServerWeights(endpoints.slice(0, 3), { '5d8f': 1, '9c1e': 3 }).map((x) => x.weight)).toEqual([1, 2, 9]);
  });

  it('reaches TLS endpoints through one internal server each: SNI, verification, Host rewritten', () => {
    const tls = { socketDir: '/run/sf', trustedCertificate: '/etc/sf/ca.pem' };
    // two replicas of one Cloud Run service share an address and a name; each has its own socket
    const run = (id: string, revision: string): RouteEndpoint => ({
      id,
      host: '127.0.0.1',
      port: 8443,
      revision,
      target: 'gcr',
      zone: 'europe-west1',
      serverName: 'web-abc.a.run.app',
    });
    const eps = [endpoints[0]!, run('run-1', '5d8f'), run('run-2', '5d8f')];
    const text = nginxUpstreamConfig('web', eps, undefined, { tls });
    const sockets = eps.slice(1).map((e) => nginxServerAddress(e, tls));
    expect(new Set(sockets).size).toBe(2);
    for (const s of sockets) expect(s).toMatch(/^unix:\/run\/sf\/tls-[0-9a-f]{16}\.sock$/);
    const main = text.slice(
      text.indexOf('upstream skyfleet_web {'),
      text.indexOf('}', text.indexOf('upstream skyfleet_web {')),
    );
    expect(main).toContain('server 127.0.0.1:32768 weight=1');
    expect(main).toContain(`server ${sockets[0]} weight=1`);
    expect(main).toContain(`server ${sockets[1]} weight=1`);
    expect(main).not.toContain('8443');
    // the internal servers: one per TLS endpoint, listening on its socket, proxying over TLS
    expect(text.match(/proxy_pass https:\/\/skyfleet_web_tls_[0-9a-f]{16};/g)).toHaveLength(2);
    for (const s of sockets) expect(text).toContain(`listen ${s};`);
    expect(text.match(/proxy_ssl_name web-abc\.a\.run\.app;/g)).toHaveLength(2);
    expect(text.match(/proxy_set_header Host web-abc\.a\.run\.app;/g)).toHaveLength(2);
    expect(text.match(/proxy_ssl_verify on;/g)).toHaveLength(2);
    expect(text).toContain('proxy_ssl_trusted_certificate /etc/sf/ca.pem;');
    expect(text).toContain('server 127.0.0.1:8443;');
    // a name nginx cannot quote safely is refused, naming the endpoint
    expect(() => nginxUpstreamConfig('web', [{ ...run('bad', '5d8f'), serverName: 'x; evil' }])).toThrow(
      /endpoint bad: serverName "x; evil" is not a DNS name/,
    );
  });

  const nginx = findTestNginx();
  const haveNginx = requires(
    'nginx',
    nginx ? undefined : `not found (${process.env.SKYFLEET_TEST_NGINX ?? 'PATH, /usr/sbin'})`,
    'CI installs nginx-light (scripts/setup-machine.sh)',
  );
  it.runIf(haveNginx)('passes nginx -t', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skyfleet-nginx-'));
    try {
      writeFileSync(
        join(dir, 'web.conf'),
        nginxUpstreamConfig(
          'web',
          [
            ...endpoints,
            { ...endpoints[0]!, id: 'web-run', revision: '9c1e', port: 443, serverName: 'web-abc.a.run.app' },
          ],
          weights,
          {
            listen: '127.0.0.1:18080',
            tls: { socketDir: dir, trustedCertificate: '/etc/ssl/certs/ca-certificates.crt' },
          },
        ),
      );
      writeFileSync(
        join(dir, 'nginx.conf'),
        [
          `pid ${dir}/nginx.pid;`,
          `error_log ${dir}/error.log;`,
          'events {}',
          'http {',
          `  access_log off; client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;`,
          `  fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;`,
          `  include ${dir}/web.conf;`,
          '}',
          '',
        ].join('\n'),
      );
      const out = execFileSync(nginx!, ['-t', '-p', dir, '-e', `${dir}/error.log`, '-c', join(dir, 'nginx.conf')], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(out).toBeDefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
