// The API server's own PKI: a CA, a serving certificate signed by it, and the admin bearer token.
// Made once with the openssl CLI (Node cannot issue X.509 certificates) and reused on later starts,
// so a kubeconfig written earlier keeps working across restarts.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Pki {
  dir: string;
  caCertPath: string;
  caCertPem: string;
  certPath: string;
  keyPath: string;
  certPem: string;
  keyPem: string;
  /** The admin bearer token (hex). */
  adminToken: string;
  adminTokenPath: string;
}

const CA_DAYS = 3650;
const SERVING_DAYS = 825;

/** Host names the serving certificate covers besides the loopback addresses. */
function dnsNames(extra: string[]): string[] {
  const names = ['localhost', hostname(), ...extra];
  // Only plain DNS labels can be DNS SANs; anything else would make openssl refuse the extension.
  return [...new Set(names.filter((n) => /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(n)))];
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args[0]} failed: ${stderr.trim() || (err as Error).message}`);
  }
}

async function createCa(dir: string): Promise<void> {
  await openssl(
    [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', 'ca.key', '-out', 'ca.crt', '-days', String(CA_DAYS), '-subj', '/CN=kite-ca',
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
}

async function createServingCert(dir: string, extraNames: string[]): Promise<void> {
  const sans = ['IP:127.0.0.1', 'IP:::1', ...dnsNames(extraNames).map((n) => `DNS:${n}`)];
  const ext = [
    `subjectAltName=${sans.join(',')}`,
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    '',
  ].join('\n');
  await writeFile(join(dir, 'apiserver.ext'), ext);
  await openssl(
    ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', 'apiserver.key', '-out', 'apiserver.csr', '-subj', '/CN=kite-apiserver'],
    dir,
  );
  await openssl(
    ['x509', '-req', '-in', 'apiserver.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
      '-out', 'apiserver.crt', '-days', String(SERVING_DAYS), '-extfile', 'apiserver.ext'],
    dir,
  );
  await rm(join(dir, 'apiserver.csr'), { force: true });
}

/**
 * Loads `<dataDir>/pki`, creating whatever is missing: CA, serving certificate (SANs 127.0.0.1,
 * ::1, localhost, the host name and `extraNames`) and the admin token. Private keys and the token
 * are mode 0600.
 */
export async function ensurePki(dataDir: string, extraNames: string[] = []): Promise<Pki> {
  const dir = join(dataDir, 'pki');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const caCertPath = join(dir, 'ca.crt');
  const certPath = join(dir, 'apiserver.crt');
  const keyPath = join(dir, 'apiserver.key');
  const adminTokenPath = join(dir, 'admin.token');

  const caMissing = !existsSync(caCertPath) || !existsSync(join(dir, 'ca.key'));
  if (caMissing) await createCa(dir);
  // A new CA invalidates any serving certificate signed by the old one.
  if (caMissing || !existsSync(certPath) || !existsSync(keyPath)) await createServingCert(dir, extraNames);
  await chmod(join(dir, 'ca.key'), 0o600);
  await chmod(keyPath, 0o600);

  if (!existsSync(adminTokenPath)) {
    await writeFile(adminTokenPath, randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
  }
  await chmod(adminTokenPath, 0o600);

  const [caCertPem, certPem, keyPem, token] = await Promise.all([
    readFile(caCertPath, 'utf8'),
    readFile(certPath, 'utf8'),
    readFile(keyPath, 'utf8'),
    readFile(adminTokenPath, 'utf8'),
  ]);
  const adminToken = token.trim();
  if (!adminToken) throw new Error(`${adminTokenPath} is empty: delete it to have a new admin token generated`);
  return { dir, caCertPath, caCertPem, certPath, keyPath, certPem, keyPem, adminToken, adminTokenPath };
}
