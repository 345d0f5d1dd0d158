// Which OCI runtime binary runs the containers, and how it is invoked. runc is the default; crun
// (Debian package `crun`) speaks the same command line (`run --bundle --pid-file`, `exec
// [--process]`, `kill`, `delete --force`, `--root`, `--log`) and starts a container with about a
// third of runc's CPU here (crun 1.8.1: ~8 ms, runc 1.1.5: ~23 ms per `run`), which is most of
// what a pod start costs.
//
// crun 1.8 refuses a "hybrid" cgroup layout whose v2 hierarchy has controllers ("cgroups in hybrid
// mode not supported, drop all controllers from cgroupv2"), as on this machine (v1 controllers
// plus a v2 mount at /sys/fs/cgroup/unified holding hugetlb). Kite never uses that v2 hierarchy,
// so crun then runs in a mount namespace of its own without that mount: it sees a plain v1
// layout. The container gets its namespaces from crun as usual; nothing changes on the host.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUSYBOX } from './sandbox.js';

export type OciFlavor = 'runc' | 'crun';

export interface OciRuntime {
  flavor: OciFlavor;
  /** `runc://1.1.5+ds1`, `crun://1.8.1`: the Node's containerRuntimeVersion. */
  version: string;
  /** The program and leading arguments; a runtime command's own arguments follow. */
  command: string[];
  /** The binary itself, for callers already in a mount namespace of their own (the supervisor). */
  binary: string;
  /** A mount the runtime must not see (unmounted in a private mount namespace first). */
  hide?: string;
}

/** From `<binary> --version`: runc prints `runc version 1.1.5+ds1`, crun `crun version 1.8.1`. */
export function parseVersion(output: string): { flavor: OciFlavor; version: string } {
  const m = /^(runc|crun) version (\S+)/m.exec(output);
  if (!m) return { flavor: 'runc', version: 'unknown' };
  return { flavor: m[1] as OciFlavor, version: m[2]! };
}

/** True when `<cgroupRoot>/unified` is a v2 hierarchy with controllers (what crun 1.8 refuses). */
export function hybridWithV2Controllers(cgroupRoot: string): boolean {
  try {
    return readFileSync(join(cgroupRoot, 'unified', 'cgroup.controllers'), 'utf8').trim() !== '';
  } catch {
    return false;
  }
}

export function ociRuntime(binary: string, versionOutput: string, cgroupRoot: string): OciRuntime {
  const { flavor, version } = parseVersion(versionOutput);
  const hide = flavor === 'crun' && hybridWithV2Controllers(cgroupRoot) ? join(cgroupRoot, 'unified') : undefined;
  const command = hide
    // busybox: unshare, sh and umount are one static binary (the sandbox already needs it).
    ? [BUSYBOX, 'unshare', '-m', '--propagation', 'private', BUSYBOX, 'sh', '-c', 'umount "$0" && exec "$@"', hide, binary]
    : [binary];
  return { flavor, version: `${flavor}://${version}`, command, binary, ...(hide ? { hide } : {}) };
}

/**
 * A runtime's complaint in the words users of containerd + runc know (what the kubelet shows):
 * crun's "executable file `x` not found in $PATH: No such file or directory" becomes runc's
 * `exec: "x": executable file not found in $PATH`.
 */
export function runcWording(message: string): string {
  const notFound = /executable file `([^`]*)` not found in \$PATH/.exec(message);
  if (notFound) return `exec: "${notFound[1]}": executable file not found in $PATH`;
  return message;
}
