// The OCI runtime config (config.json) of one container: process from the image config and the
// pod spec, the pod's shared namespaces, the usual /proc /dev /sys mounts plus the pod's volumes.
import type { ContainerConfig } from '../node-agent/runtime.js';
import { StartError } from '../node-agent/runtime.js';
import type { ImageConfig } from './images/store.js';

/** Docker's default capability set, which Kubernetes containers get unless the pod says otherwise. */
const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

const MASKED_PATHS = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi',
];
const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** Kubernetes rules: `command` replaces the entrypoint (and drops the image cmd); `args` replaces the cmd. */
export function processArgs(config: Pick<ContainerConfig, 'command' | 'args'>, image: ImageConfig['config']): string[] {
  const entrypoint = config.command && config.command.length > 0 ? config.command : image.Entrypoint ?? [];
  const cmd = config.args && config.args.length > 0 ? config.args : config.command && config.command.length > 0 ? [] : image.Cmd ?? [];
  const args = [...entrypoint, ...cmd];
  if (args.length === 0) throw new StartError('no command specified');
  return args;
}

/** Image env first, then HOSTNAME (and `TERM=xterm` on a terminal, as upstream), container env overriding by name. */
export function processEnv(config: Pick<ContainerConfig, 'env' | 'tty'>, image: ImageConfig['config'], hostname: string): string[] {
  const env = new Map<string, string>();
  for (const line of image.Env ?? []) {
    const eq = line.indexOf('=');
    if (eq > 0) env.set(line.slice(0, eq), line.slice(eq + 1));
  }
  env.set('HOSTNAME', hostname);
  if (config.tty) env.set('TERM', 'xterm');
  for (const { name, value } of config.env) env.set(name, value);
  return [...env].map(([k, v]) => `${k}=${v}`);
}

export interface BundleParams {
  config: ContainerConfig;
  image: ImageConfig['config'];
  hostname: string;
  cgroupsPath: string;
  namespaces: { network: string; ipc: string; uts: string };
}

export function ociSpec(p: BundleParams): object {
  const { config } = p;
  const caps = DEFAULT_CAPABILITIES;
  return {
    ociVersion: '1.0.2',
    process: {
      // With a terminal the foreground `runc run` makes one and relays it to its own stdio.
      terminal: !!config.tty,
      user: { uid: 0, gid: 0 },
      args: processArgs(config, p.image),
      env: processEnv(config, p.image, p.hostname),
      cwd: config.workingDir || p.image.WorkingDir || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      noNewPrivileges: false,
    },
    root: { path: 'rootfs', readonly: false },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      ...config.mounts.map((m) => ({
        destination: m.containerPath,
        type: 'bind',
        source: m.hostPath,
        options: ['rbind', m.readOnly ? 'ro' : 'rw'],
      })),
    ],
    linux: {
      cgroupsPath: p.cgroupsPath,
      namespaces: [
        { type: 'pid' },
        { type: 'mount' },
        { type: 'network', path: p.namespaces.network },
        { type: 'ipc', path: p.namespaces.ipc },
        { type: 'uts', path: p.namespaces.uts },
      ],
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      maskedPaths: MASKED_PATHS,
      readonlyPaths: READONLY_PATHS,
    },
  };
}
