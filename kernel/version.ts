// Versions Kite reports: its own, the kernel API plugins build against, and the Kubernetes API it serves.
import { readFileSync } from 'node:fs';
import { KERNEL_API_VERSION } from './plugin/types.js';
import { findRepoRoot } from './paths.js';

export const KUBERNETES_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0' };

export function kiteVersion(): string {
  try {
    return (JSON.parse(readFileSync(`${findRepoRoot()}/package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

export function versionInfo(): { kite: string; kernelApi: string; kubernetes: string; node: string } {
  return { kite: kiteVersion(), kernelApi: KERNEL_API_VERSION, kubernetes: KUBERNETES_VERSION.gitVersion, node: process.version };
}
