// The kubeconfig `kite up` leaves for kubectl: cluster `kite`, user `kite-admin`, context `kite`.
import { chmod, writeFile } from 'node:fs/promises';
import yaml from 'js-yaml';

export interface KubeconfigInput {
  /** e.g. https://127.0.0.1:6443 */
  server: string;
  caCertPem: string;
  token: string;
  namespace?: string;
}

export function renderKubeconfig(input: KubeconfigInput): string {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'kite',
        cluster: { server: input.server, 'certificate-authority-data': Buffer.from(input.caCertPem).toString('base64') },
      },
    ],
    users: [{ name: 'kite-admin', user: { token: input.token } }],
    contexts: [{ name: 'kite', context: { cluster: 'kite', user: 'kite-admin', namespace: input.namespace ?? 'default' } }],
    'current-context': 'kite',
    preferences: {},
  };
  return yaml.dump(config, { lineWidth: -1 });
}

/** Writes the kubeconfig with mode 0600 (it holds the admin token). */
export async function writeKubeconfig(path: string, input: KubeconfigInput): Promise<void> {
  await writeFile(path, renderKubeconfig(input), { mode: 0o600 });
  await chmod(path, 0o600); // the mode above only applies when the file is new
}
