// The Node object (capacity, addresses, labels, nodeInfo, conditions true to the host) and its
// heartbeat: a Lease in kube-node-lease renewed every few seconds, the Node status rewritten only
// when a condition changes or every statusReportSeconds (as upstream's nodeStatusReportFrequency).
import { readFileSync, statfsSync } from 'node:fs';
import { arch, cpus, freemem, hostname, networkInterfaces, release, totalmem } from 'node:os';
import type { Logger } from '../../kernel/log.js';
import { isStatusError } from '../../kernel/objects/status.js';
import type { KubeObject } from '../../kernel/objects/types.js';
import type { ObjectStore } from '../../kernel/store/types.js';
import { KUBERNETES_VERSION } from '../../kernel/version.js';
import { LEASE_RESOURCE, NAMESPACE_RESOURCE, NODE_RESOURCE, type PodCondition } from './pod-types.js';

export const LEASE_NAMESPACE = 'kube-node-lease';

export interface NodeSettings {
  nodeName: string;
  /** Capacity overrides (hollow nodes): cpu, memory, pods, ephemeral-storage. */
  capacity?: Record<string, string>;
  labels?: Record<string, string>;
  dataDir: string;
  runtimeVersion: string;
  leaseDurationSeconds: number;
}

export function defaultNodeName(): string {
  return hostname().toLowerCase().replace(/[^a-z0-9.-]/g, '-');
}

let knownHostIP: { address: string; at: number } | undefined;
const HOST_IP_TTL_MS = 10_000;

/**
 * The node's first non-loopback IPv4 address. Remembered for a few seconds: every new pod asks,
 * and listing the interfaces grows with the pods' host-side veths.
 */
export function hostIPv4(): string {
  if (knownHostIP && Date.now() - knownHostIP.at < HOST_IP_TTL_MS) return knownHostIP.address;
  let address = '127.0.0.1';
  search: for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) { address = a.address; break search; }
  }
  knownHostIP = { address, at: Date.now() };
  return address;
}

const goArch = (): string => ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' } as Record<string, string>)[arch()] ?? arch();

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return fallback;
  }
}

function osImage(): string {
  return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readOr('/etc/os-release', ''))?.[1] ?? 'Linux';
}

function memAvailableBytes(): number {
  const kb = /^MemAvailable:\s+(\d+)/m.exec(readOr('/proc/meminfo', ''))?.[1];
  return kb ? Number(kb) * 1024 : freemem();
}

function hostCapacity(dataDir: string): Record<string, string> {
  const fs = statfsSync(dataDir);
  return {
    cpu: String(cpus().length),
    memory: `${Math.floor(totalmem() / 1024)}Ki`,
    'ephemeral-storage': `${Math.floor((fs.blocks * fs.bsize) / 1024)}Ki`,
    pods: '110',
  };
}

/** Conditions as upstream's eviction thresholds see them: memory.available<100Mi, nodefs.available<10%, pids. */
export function hostConditions(dataDir: string, previous: PodCondition[] | undefined, now: string, hollow: boolean): Array<PodCondition & { lastHeartbeatTime: string }> {
  const fs = statfsSync(dataDir);
  const memoryPressure = !hollow && memAvailableBytes() < 100 * 2 ** 20;
  const diskPressure = !hollow && fs.bavail / fs.blocks < 0.1;
  const pidMax = Number(readOr('/proc/sys/kernel/pid_max', '4194304'));
  // /proc/loadavg's fourth field is running/total scheduling entities.
  const threads = Number(readOr('/proc/loadavg', '0 0 0 0/0').split(' ')[3]?.split('/')[1] ?? 0);
  const pidPressure = !hollow && threads > pidMax * 0.9;
  const make = (type: string, status: boolean, reason: string, message: string) => {
    const s = status ? 'True' : 'False';
    const before = previous?.find((c) => c.type === type);
    return { type, status: s as 'True' | 'False', reason, message, lastHeartbeatTime: now, lastTransitionTime: before?.status === s && before.lastTransitionTime ? before.lastTransitionTime : now };
  };
  return [
    make('MemoryPressure', memoryPressure, memoryPressure ? 'KubeletHasInsufficientMemory' : 'KubeletHasSufficientMemory', memoryPressure ? 'kubelet has insufficient memory available' : 'kubelet has sufficient memory available'),
    make('DiskPressure', diskPressure, diskPressure ? 'KubeletHasDiskPressure' : 'KubeletHasNoDiskPressure', diskPressure ? 'kubelet has disk pressure' : 'kubelet has no disk pressure'),
    make('PIDPressure', pidPressure, pidPressure ? 'KubeletHasInsufficientPID' : 'KubeletHasSufficientPID', pidPressure ? 'kubelet has insufficient PID available' : 'kubelet has sufficient PID available'),
    make('Ready', true, 'KubeletReady', 'kubelet is posting ready status'),
  ];
}

/** The conditions the node agent itself reports. */
const KUBELET_CONDITIONS = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'];

export function buildNode(s: NodeSettings, previous: KubeObject | undefined, hollow: boolean): KubeObject {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const capacity = { ...(hollow ? { cpu: '8', memory: '32Gi', 'ephemeral-storage': '100Gi', pods: '110' } : hostCapacity(s.dataDir)), ...s.capacity };
  const prevStatus = previous?.status as { conditions?: PodCondition[] } | undefined;
  // Conditions other components own (NetworkUnavailable, written by the network plugin) are kept.
  const foreignConditions = (prevStatus?.conditions ?? []).filter((c) => !KUBELET_CONDITIONS.includes(c.type));
  const labels = {
    ...(previous?.metadata.labels ?? {}),
    'beta.kubernetes.io/arch': goArch(),
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': goArch(),
    'kubernetes.io/hostname': s.nodeName,
    'kubernetes.io/os': 'linux',
    ...s.labels,
  };
  const bootID = readOr('/proc/sys/kernel/random/boot_id', '');
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { ...(previous?.metadata ?? {}), name: s.nodeName, labels },
    spec: (previous?.spec as object | undefined) ?? {},
    status: {
      capacity,
      allocatable: capacity,
      conditions: [...hostConditions(s.dataDir, prevStatus?.conditions, now, hollow), ...foreignConditions],
      addresses: [{ type: 'InternalIP', address: hollow ? '127.0.0.1' : hostIPv4() }, { type: 'Hostname', address: s.nodeName }],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: readOr('/etc/machine-id', ''),
        systemUUID: readOr('/sys/class/dmi/id/product_uuid', bootID),
        bootID,
        kernelVersion: release(),
        osImage: osImage(),
        containerRuntimeVersion: s.runtimeVersion,
        kubeletVersion: `${KUBERNETES_VERSION.gitVersion}-kite`,
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: goArch(),
      },
    },
  };
}

const microTime = () => new Date().toISOString().replace(/Z$/, '000Z');

/** Registers the node and keeps its Lease and conditions fresh. */
export class NodeHeartbeat {
  private leaseTimer?: NodeJS.Timeout;
  private lastReport = 0;
  private lastConditions = '';
  private nodeUid?: string;

  constructor(
    private readonly store: ObjectStore,
    private readonly settings: NodeSettings,
    private readonly hollow: boolean,
    private readonly logger: Logger,
    private readonly timing: { renewSeconds: number; statusReportSeconds: number },
  ) {}

  async start(): Promise<void> {
    await this.registerNode();
    await this.ensureLeaseNamespace();
    await this.renew();
    this.leaseTimer = setInterval(() => void this.beat(), this.timing.renewSeconds * 1000);
  }

  stop(): void {
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    this.leaseTimer = undefined;
  }

  private async beat(): Promise<void> {
    try {
      await this.renew();
      const conditions = hostConditions(this.settings.dataDir, undefined, '', this.hollow).map((c) => `${c.type}=${c.status}`).join(',');
      if (conditions !== this.lastConditions || Date.now() - this.lastReport >= this.timing.statusReportSeconds * 1000) await this.registerNode();
    } catch (e) {
      this.logger.warn('node heartbeat failed', { error: e as Error });
    }
  }

  async registerNode(): Promise<void> {
    const name = this.settings.nodeName;
    let stored: KubeObject;
    try {
      stored = await this.store.guaranteedUpdate<KubeObject>(NODE_RESOURCE, undefined, name, (cur) => buildNode(this.settings, cur, this.hollow));
    } catch (e) {
      if (!isStatusError(e, 'NotFound')) throw e;
      stored = await this.store.create(NODE_RESOURCE, buildNode(this.settings, undefined, this.hollow));
    }
    this.nodeUid = stored.metadata.uid;
    this.lastReport = Date.now();
    this.lastConditions = ((stored.status as { conditions?: PodCondition[] }).conditions ?? []).filter((c) => KUBELET_CONDITIONS.includes(c.type)).map((c) => `${c.type}=${c.status}`).join(',');
  }

  private async ensureLeaseNamespace(): Promise<void> {
    try {
      await this.store.create(NAMESPACE_RESOURCE, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: LEASE_NAMESPACE } });
    } catch (e) {
      if (!isStatusError(e, 'AlreadyExists')) throw e;
    }
  }

  private async renew(): Promise<void> {
    const name = this.settings.nodeName;
    const spec = { holderIdentity: name, leaseDurationSeconds: this.settings.leaseDurationSeconds, renewTime: microTime() };
    try {
      await this.store.guaranteedUpdate<KubeObject>(LEASE_RESOURCE, LEASE_NAMESPACE, name, (cur) => ({ ...structuredClone(cur), spec: { ...(cur.spec as object), ...spec } }));
    } catch (e) {
      if (!isStatusError(e, 'NotFound')) throw e;
      await this.store.create(LEASE_RESOURCE, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name,
          namespace: LEASE_NAMESPACE,
          ...(this.nodeUid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: this.nodeUid }] } : {}),
        },
        spec: { ...spec, acquireTime: spec.renewTime },
      });
    }
  }
}
