// After `npm ci` has compiled better-sqlite3 from source because no prebuilt binary could be
// downloaded (an offline machine), keeps that build where prebuild-install looks before it
// downloads (its cache under npm's cache), so the next `npm ci` of any checkout on this machine
// unpacks it instead of compiling SQLite again (~70 s on 2 cores). With a network,
// prebuild-install has already cached the binary it downloaded there, and this does nothing.
// Run by scripts/setup-machine.sh; `node scripts/keep-native-builds.mjs [DIR]` (default: .).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? '.');
const moduleDir = join(root, 'node_modules', 'better-sqlite3');
const binary = join('build', 'Release', 'better_sqlite3.node');
if (!existsSync(join(moduleDir, binary))) process.exit(0);

const fromModule = createRequire(join(moduleDir, 'package.json'));
const pkg = fromModule('./package.json');
const fromPrebuild = createRequire(fromModule.resolve('prebuild-install/package.json'));
const rc = fromPrebuild('./rc')(pkg);
const util = fromPrebuild('./util');
const cached = util.cachedPrebuild(util.getDownloadUrl({ ...rc, pkg }));
if (existsSync(cached)) process.exit(0);

mkdirSync(dirname(cached), { recursive: true });
const tmp = `${cached}.${process.pid}.tmp`;
execFileSync('tar', ['-czf', tmp, '-C', moduleDir, binary]);
renameSync(tmp, cached);
console.log(`setup: kept the compiled better-sqlite3 ${pkg.version} for later installs (${cached})`);
