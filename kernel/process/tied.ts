// Child processes that must not outlive this one: started through setpriv(1) (util-linux) with a
// parent-death signal, so the kernel sends them SIGTERM when this process dies, even by SIGKILL.
// Without setpriv they are started directly (and can outlive a killed parent).
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';

const SETPRIV = '/usr/bin/setpriv';

export function spawnTied(file: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  // setpriv execs the program: the child's pid is the program's own.
  return existsSync(SETPRIV) ? spawn(SETPRIV, ['--pdeathsig', 'TERM', '--', file, ...args], options) : spawn(file, args, options);
}
