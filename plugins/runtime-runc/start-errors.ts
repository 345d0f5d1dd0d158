// How a container that did not start is reported: runc's own words from its log, in the wording
// the kubelet shows for containerd (`StartError`), and the exit codes shells use for `exec`.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runcWording } from './oci-runtime.js';

/** runc's own complaint (e.g. `exec: "foo": executable file not found in $PATH`), from its log. */
export async function startErrorMessage(bundle: string): Promise<string> {
  const log = await readFile(join(bundle, 'runc.log'), 'utf8').catch(() => '');
  const messages = log.split('\n').filter(Boolean).map((line) => {
    try {
      return (JSON.parse(line) as { msg?: string }).msg ?? line;
    } catch {
      return /msg="((?:[^"\\]|\\.)*)"/.exec(line)?.[1]?.replace(/\\"/g, '"') ?? line;
    }
  });
  const last = messages.filter((m) => !/^(starting|signal)/.test(m)).pop() ?? 'runc failed without a message';
  return `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: ${runcWording(last.replace(/^runc run failed: /, ''))}: unknown`;
}

/**
 * runc exits 255 when it cannot start the exec'd process at all; shells (and the contract) say 127
 * for a command that is not there and 126 for one that cannot be executed.
 */
export function startFailureCode(code: number, output: string): number {
  // runc: "exec failed: …" / "unable to start container process: …"; crun: "executable file `x` not found in $PATH: …".
  if (code !== 255 || !/exec failed|unable to start container process|executable file `[^`]*` not found|open executable/.test(output)) return code;
  return /permission denied/i.test(output) ? 126 : 127;
}
