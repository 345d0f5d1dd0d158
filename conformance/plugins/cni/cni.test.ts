// Runs the CNI contract suite against Kite's kite-bridge (alone at CNI 1.1.0, and chained with
// portmap at 1.0.0) and against Debian's reference bridge + host-local (CNI 1.0.0), which proves
// the suite right.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { installCniBinaries } from '../../../plugins/cni-kite/install.js';
import { runCniConformance } from './suite.js';

const REFERENCE_DIR = '/usr/lib/cni';

function unavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  if (!existsSync('/usr/sbin/ip') && !existsSync('/sbin/ip')) return 'needs iproute2';
  return undefined;
}

const why = unavailable();
if (why) {
  t.plan(0, `CNI conformance: ${why}`);
} else {
  const work = mkdtempSync(join(tmpdir(), 'kite-cni-conformance-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const binDir = join(work, 'bin');
  installCniBinaries(binDir);

  // 198.18.0.0/15 is reserved for network benchmarks (RFC 2544): it never clashes with real networks.
  await t.test('kite-bridge, cniVersion 1.1.0', (t) => runCniConformance(t, {
    name: 'kite-bridge',
    cniPath: binDir,
    netnsPrefix: 'cnicfk',
    confList: { cniVersion: '1.1.0', name: 'cnicf-kite', plugins: [{ type: 'kite-bridge', bridge: 'cnicfk0', ipam: { type: 'kite-ipam', subnet: '198.18.10.0/24', dataDir: join(work, 'kite-ipam') } }] },
  }));

  // The node agent's default shape: kite-bridge chained with the reference portmap (hostPort),
  // at cniVersion 1.0.0 (the newest the Debian plugins speak).
  if (existsSync(join(REFERENCE_DIR, 'portmap'))) {
    await t.test('kite-bridge + portmap chain, cniVersion 1.0.0', (t) => runCniConformance(t, {
      name: 'kite-bridge+portmap',
      cniPath: `${binDir}:${REFERENCE_DIR}`,
      netnsPrefix: 'cnicfk1',
      confList: { cniVersion: '1.0.0', name: 'cnicf-kite1', plugins: [
        { type: 'kite-bridge', bridge: 'cnicfk1', hairpinMode: true, ipam: { type: 'kite-ipam', subnet: '198.18.11.0/24', dataDir: join(work, 'kite-ipam') } },
        { type: 'portmap', capabilities: { portMappings: true }, snat: true },
      ] },
    }));
  }

  if (!existsSync(join(REFERENCE_DIR, 'bridge')) || !existsSync(join(REFERENCE_DIR, 'host-local'))) {
    t.pass('reference plugins', { skip: `not installed in ${REFERENCE_DIR} (Debian containernetworking-plugins)` });
  } else {
    await t.test('reference bridge + host-local, cniVersion 1.0.0', (t) => runCniConformance(t, {
      name: 'reference bridge',
      cniPath: REFERENCE_DIR,
      netnsPrefix: 'cnicfr',
      confList: { cniVersion: '1.0.0', name: 'cnicf-ref', plugins: [{ type: 'bridge', bridge: 'cnicfr0', isGateway: true, ipam: { type: 'host-local', subnet: '198.18.12.0/24', dataDir: join(work, 'host-local') } }] },
      // containernetworking-plugins 1.1.1 (libcni skel): the about text, code 999 (internal) for
      // a missing namespace, and error objects without cniVersion.
      deviations: { missingCommandPrintsAbout: true, badNetnsCode: 999, errorsWithoutCniVersion: true },
    }));
  }
}
