// Store keys: one JetStream KV bucket holds every object under `<resource>.<namespace>.<name>`.
// One bucket means one stream, so the KV revision is a cluster-wide monotonic resourceVersion.
// Each part is a single subject token: group dots become `_` in the resource token
// (`deployments.apps` → `deployments_apps`), cluster-scoped objects use `_` as namespace, and
// name characters outside [A-Za-z0-9_-] are escaped as `=XX` (so `.` and `:` are safe).
import type { ResourceKey } from '../objects/types.js';

export function resourceToken(res: Pick<ResourceKey, 'group' | 'resource'>): string {
  return res.group ? `${res.resource}_${res.group.replaceAll('.', '_')}` : res.resource;
}

export function escapeName(name: string): string {
  let out = '';
  for (const ch of name) {
    if (/[A-Za-z0-9_-]/.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += '=' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

export function unescapeName(token: string): string {
  if (!token.includes('=')) return token;
  const bytes: number[] = [];
  for (let i = 0; i < token.length; i++) {
    if (token[i] === '=') {
      bytes.push(parseInt(token.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(token.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('utf8');
}

export function objectKey(res: ResourceKey, namespace: string | undefined, name: string): string {
  return `${resourceToken(res)}.${res.namespaced ? namespace ?? '' : '_'}.${escapeName(name)}`;
}

export interface ParsedKey {
  resource: string;
  namespace: string | undefined;
  name: string;
}

export function parseKey(key: string): ParsedKey | undefined {
  const parts = key.split('.');
  if (parts.length !== 3) return undefined;
  const [resource, ns, name] = parts as [string, string, string];
  return { resource, namespace: ns === '_' ? undefined : ns, name: unescapeName(name) };
}
