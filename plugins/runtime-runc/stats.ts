// Resource usage of a running container from its cgroups (v1, as on this machine): the counters
// the kubelet's resource metrics (cAdvisor) read. The agent's parent cgroup `<parent>/<id>` holds
// runc's child `…/runc`, and v1 counters of a parent include its children.
import { join } from 'node:path';
import { readCgroupV1Usage } from '../../kernel/process/cgroup-v1.js';
import type { ContainerStats } from '../node-agent/runtime.js';
import type { CgroupLayout } from './cgroups.js';

/**
 * Cumulative CPU (cpuacct.usage, ns) and memory working set (usage minus total_inactive_file) of
 * container `id`; undefined when its cgroups are gone (not running, or removed).
 */
export async function readContainerStats(layout: CgroupLayout, id: string): Promise<ContainerStats | undefined> {
  const dir = (controller: string) => join(layout.root, controller, layout.parent, id);
  const usage = await readCgroupV1Usage(dir('cpuacct'), dir('memory'));
  return usage && { cpuUsageNanoSeconds: usage.cpuNs, memoryWorkingSetBytes: usage.workingSetBytes, timestampMs: Date.now() };
}
