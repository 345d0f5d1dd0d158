#!/usr/bin/env node
// Installs what Kite needs on a Debian machine, and is a quick no-op when it is already there.
// Plain Node with no dependencies: it runs before `npm install` has.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Debian package → a file it installs that proves it is present. */
export const debianPackages = {
  'nats-server': '/usr/sbin/nats-server',
  openssl: '/usr/bin/openssl',
  runc: '/usr/sbin/runc',
  // The other OCI runtime the runc runtime drives (`runtimeOptions.runc: /usr/bin/crun`): a third
  // of runc's CPU per container start; its contract suite and `npm run bench node` run it too.
  crun: '/usr/bin/crun',
  'busybox-static': '/bin/busybox',
  iproute2: '/usr/sbin/ip',
  // Probes run in the pod's network namespace: httpGet through curl, grpc through curl's HTTP/2.
  curl: '/usr/bin/curl',
  // The CNI reference plugins (bridge, host-local, loopback, portmap): the network conformance
  // suite proves itself against them, and a conflist may choose them instead of Kite's.
  'containernetworking-plugins': '/usr/lib/cni/bridge',
  // Pod-to-pod throughput in `npm run bench network`.
  iperf3: '/usr/bin/iperf3',
};

function log(msg) {
  process.stderr.write(`kite setup: ${msg}\n`);
}

function ensureDebian() {
  const missing = Object.entries(debianPackages)
    .filter(([, probe]) => !existsSync(probe))
    .map(([pkg]) => pkg);
  if (missing.length === 0) return;
  if (process.getuid && process.getuid() !== 0) {
    throw new Error(`missing Debian packages ${missing.join(', ')}; run as root or install them with apt-get`);
  }
  log(`installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
}

function ensureNpm() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  const pkg = join(root, 'package.json');
  if (existsSync(marker)) {
    const installed = statSync(marker).mtimeMs;
    const wanted = Math.max(statSync(pkg).mtimeMs, existsSync(lock) ? statSync(lock).mtimeMs : 0);
    if (installed >= wanted) return;
  }
  log('installing npm packages');
  const args = existsSync(lock) ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund'];
  const r = spawnSync('npm', args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`npm ${args[0]} failed with exit code ${r.status}`);
}

try {
  ensureDebian();
  ensureNpm();
} catch (err) {
  log(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
