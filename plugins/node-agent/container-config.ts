// Turns a pod's container spec into what the runtime needs: environment (ConfigMap/Secret refs,
// downward API, `$(VAR)` expansion), volumes prepared on disk and their mounts, and cgroup limits.
import { existsSync } from 'node:fs';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { isStatusError } from '../../kernel/objects/status.js';
import type { KubeObject } from '../../kernel/objects/types.js';
import { podQosClass } from '../../kernel/objects/validation/pod-defaults.js';
import { tryParseQuantity } from '../../kernel/objects/validation/quantity.js';
import type { ObjectStore } from '../../kernel/store/types.js';
import type { ContainerResources, Mount } from './runtime.js';
import { CONFIGMAP_RESOURCE, SECRET_RESOURCE, type ContainerSpec, type Pod, type Volume } from './pod-types.js';

const run = promisify(execFile);

/** A problem with the pod's configuration: the container waits with reason CreateContainerConfigError. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type DataObject = KubeObject & { data?: Record<string, string>; binaryData?: Record<string, string> };

/** Reads ConfigMaps and Secrets (decoded) of a pod's namespace. */
export class PodSources {
  constructor(private readonly store: ObjectStore, private readonly namespace: string) {}

  async configMap(name: string, optional: boolean): Promise<Record<string, string> | undefined> {
    return this.read('configmap', name, optional, false);
  }

  async secret(name: string, optional: boolean): Promise<Record<string, string> | undefined> {
    return this.read('secret', name, optional, true);
  }

  private async read(kind: 'configmap' | 'secret', name: string, optional: boolean, base64: boolean): Promise<Record<string, string> | undefined> {
    try {
      const obj = await this.store.get<DataObject>(kind === 'secret' ? SECRET_RESOURCE : CONFIGMAP_RESOURCE, this.namespace, name);
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(obj.data ?? {})) out[k] = base64 ? Buffer.from(v, 'base64').toString('utf8') : v;
      for (const [k, v] of Object.entries(obj.binaryData ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
      return out;
    } catch (e) {
      if (!isStatusError(e, 'NotFound')) throw e;
      if (optional) return undefined;
      throw new ConfigError(`${kind} "${name}" not found`);
    }
  }
}

/** `$(NAME)` → value of NAME when defined; `$$(NAME)` → literal `$(NAME)`; unknown stays as written. */
export function expandReferences(input: string, vars: Map<string, string>): string {
  return input.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    return name !== undefined && vars.has(name) ? vars.get(name)! : match;
  });
}

function fieldValue(pod: Pod, path: string): string {
  const meta = pod.metadata;
  const mapKey = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (mapKey) return (mapKey[1] === 'labels' ? meta.labels : meta.annotations)?.[mapKey[2]!] ?? '';
  switch (path) {
    case 'metadata.name': return meta.name ?? '';
    case 'metadata.namespace': return meta.namespace ?? '';
    case 'metadata.uid': return meta.uid ?? '';
    case 'spec.nodeName': return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec.serviceAccountName ?? 'default';
    case 'status.podIP': return pod.status?.podIP ?? '';
    case 'status.hostIP': return pod.status?.hostIP ?? '';
    default: throw new ConfigError(`unsupported fieldRef fieldPath: ${path}`);
  }
}

/** The container's environment in order, after envFrom, env and `$(VAR)` expansion. */
export async function resolveEnv(pod: Pod, c: ContainerSpec, sources: PodSources): Promise<Array<{ name: string; value: string }>> {
  const vars = new Map<string, string>();
  for (const from of c.envFrom ?? []) {
    const data = from.configMapRef
      ? await sources.configMap(from.configMapRef.name, from.configMapRef.optional ?? false)
      : from.secretRef ? await sources.secret(from.secretRef.name, from.secretRef.optional ?? false) : undefined;
    for (const [k, v] of Object.entries(data ?? {})) vars.set(`${from.prefix ?? ''}${k}`, v);
  }
  for (const e of c.env ?? []) {
    const from = e.valueFrom;
    if (!from) {
      vars.set(e.name, expandReferences(e.value ?? '', vars));
    } else if (from.fieldRef) {
      vars.set(e.name, fieldValue(pod, from.fieldRef.fieldPath));
    } else if (from.configMapKeyRef || from.secretKeyRef) {
      const ref = (from.configMapKeyRef ?? from.secretKeyRef)!;
      const isSecret = !!from.secretKeyRef;
      const data = isSecret ? await sources.secret(ref.name, ref.optional ?? false) : await sources.configMap(ref.name, ref.optional ?? false);
      if (data && ref.key in data) vars.set(e.name, data[ref.key]!);
      else if (data && !ref.optional) throw new ConfigError(`couldn't find key ${ref.key} in ${isSecret ? 'Secret' : 'ConfigMap'} ${pod.metadata.namespace}/${ref.name}`);
    } else if (from.resourceFieldRef) {
      const [kind, resource] = from.resourceFieldRef.resource.split('.') as ['limits' | 'requests', string];
      const q = tryParseQuantity(c.resources?.[kind]?.[resource]) ?? 0;
      const divisor = tryParseQuantity(from.resourceFieldRef.divisor ?? '1') || 1;
      vars.set(e.name, String(Math.ceil(q / divisor)));
    }
  }
  return [...vars].map(([name, value]) => ({ name, value }));
}

export function expandCommand(list: string[] | undefined, env: Array<{ name: string; value: string }>): string[] | undefined {
  if (!list) return undefined;
  const vars = new Map(env.map((e) => [e.name, e.value]));
  return list.map((s) => expandReferences(s, vars));
}

/** Prepares every volume of the pod under `<podDir>/volumes/<name>`; returns the host path per volume name. */
export async function prepareVolumes(pod: Pod, podDir: string, sources: PodSources): Promise<Map<string, string>> {
  const paths = new Map<string, string>();
  for (const v of pod.spec.volumes ?? []) paths.set(v.name, await prepareVolume(v, join(podDir, 'volumes', v.name), sources));
  return paths;
}

async function prepareVolume(v: Volume, dir: string, sources: PodSources): Promise<string> {
  if (v.hostPath) {
    const type = v.hostPath.type ?? '';
    if (type === 'DirectoryOrCreate' && !existsSync(v.hostPath.path)) await mkdir(v.hostPath.path, { recursive: true, mode: 0o755 });
    if (type === 'FileOrCreate' && !existsSync(v.hostPath.path)) {
      await mkdir(dirname(v.hostPath.path), { recursive: true });
      await writeFile(v.hostPath.path, '');
    }
    if ((type === 'Directory' || type === 'File') && !existsSync(v.hostPath.path)) {
      throw new ConfigError(`hostPath type check failed: ${v.hostPath.path} is not a ${type.toLowerCase()}`);
    }
    return v.hostPath.path;
  }
  const fresh = !existsSync(dir);
  await mkdir(dir, { recursive: true });
  if (v.configMap || v.secret) {
    const data = v.configMap
      ? await sources.configMap(v.configMap.name, v.configMap.optional ?? false)
      : await sources.secret(v.secret!.secretName, v.secret!.optional ?? false);
    const items = (v.configMap ?? v.secret)!.items;
    const files = items ? items.map((i) => [i.path, data?.[i.key]] as const) : Object.entries(data ?? {});
    for (const [path, content] of files) {
      if (content === undefined) throw new ConfigError(`configmap references non-existent config key: ${path}`);
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), content, { mode: v.secret ? 0o644 : 0o644 });
    }
    return dir;
  }
  if (v.emptyDir?.medium === 'Memory' && fresh) {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${tryParseQuantity(v.emptyDir.sizeLimit) ?? 64 * 2 ** 20}`, 'tmpfs', dir]);
  }
  await chmod(dir, 0o777);
  return dir;
}

/** Unmounts memory-backed emptyDirs and removes the pod's directory. */
export async function cleanupPodDir(pod: Pod, podDir: string): Promise<void> {
  for (const v of pod.spec.volumes ?? []) {
    if (v.emptyDir?.medium === 'Memory') await run('umount', ['-l', join(podDir, 'volumes', v.name)]).catch(() => undefined);
  }
  await rm(join(podDir, 'volumes'), { recursive: true, force: true });
}

export function containerMounts(c: ContainerSpec, volumes: Map<string, string>, pod: Pod): Mount[] {
  return (c.volumeMounts ?? []).map((m) => {
    const hostPath = volumes.get(m.name);
    if (!hostPath) throw new ConfigError(`volume "${m.name}" not found in pod ${pod.metadata.name}`);
    const source = pod.spec.volumes?.find((v) => v.name === m.name);
    const readOnly = m.readOnly ?? !!(source?.configMap || source?.secret);
    return { hostPath: m.subPath ? join(hostPath, m.subPath) : hostPath, containerPath: m.mountPath, readOnly };
  });
}

export function containerResources(c: ContainerSpec): ContainerResources {
  const limits = c.resources?.limits ?? {};
  const requests = c.resources?.requests ?? {};
  const out: ContainerResources = {};
  const memory = tryParseQuantity(limits.memory);
  if (memory) out.memoryLimitBytes = memory;
  const cpuLimit = tryParseQuantity(limits.cpu);
  if (cpuLimit) out.cpuLimitMillis = cpuLimit * 1000;
  const cpuRequest = tryParseQuantity(requests.cpu ?? limits.cpu);
  if (cpuRequest) out.cpuRequestMillis = cpuRequest * 1000;
  const memoryRequest = tryParseQuantity(requests.memory ?? limits.memory);
  if (memoryRequest) out.memoryRequestBytes = memoryRequest;
  return out;
}

/** Upstream's QoS class (the API server sets it on create; the same rules in one place). */
export function qosClass(pod: Pod): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  return podQosClass(pod.spec);
}
