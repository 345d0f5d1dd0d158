// The kite-bridge executable (run through the `kite-bridge` wrapper that install.ts writes):
// reads CNI_* from the environment and the network config from stdin, prints a result or a CNI
// error object on stdout, exits non-zero on error. Only node: built-ins and this folder are
// imported, to keep start-up short.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { cmdAdd, cmdCheck, cmdDel, cmdGc, cmdStatus } from './commands.js';
import { parseNetConf, peekVersion } from './setup.js';
import { CniError, ErrorCode, PLUGIN_CNI_VERSION, SUPPORTED_VERSIONS, isSupportedVersion } from './spec.js';

const CONTAINER_ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const IFNAME = /^[^\s/:]{1,15}$/;

type Env = Record<string, string | undefined>;

function requireEnv(source: Env, names: string[]): Record<string, string> {
  const missing = names.filter((n) => !source[n]);
  if (missing.length > 0) throw new CniError(ErrorCode.InvalidEnvironment, `required env variables [${missing.join(',')}] missing`);
  return Object.fromEntries(names.map((n) => [n, source[n] as string]));
}

function attachmentFromEnv(source: Env): { containerID: string; ifname: string } {
  const env = requireEnv(source, ['CNI_CONTAINERID', 'CNI_IFNAME']);
  const containerID = env.CNI_CONTAINERID as string;
  const ifname = env.CNI_IFNAME as string;
  if (!CONTAINER_ID.test(containerID)) throw new CniError(ErrorCode.InvalidEnvironment, `CNI_CONTAINERID ${JSON.stringify(containerID)}: must start with a letter or digit, then letters, digits, "_", "." or "-"`);
  if (!IFNAME.test(ifname) || ifname === '.' || ifname === '..') throw new CniError(ErrorCode.InvalidEnvironment, `CNI_IFNAME ${JSON.stringify(ifname)}: not a valid interface name`);
  return { containerID, ifname };
}

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch (err) {
    // A non-blocking stdin with nothing written (no config given) reads as an empty config.
    if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return '';
    throw new CniError(ErrorCode.IoFailure, `cannot read the network config from stdin: ${(err as Error).message}`);
  }
}

async function run(env: Env, stdin: string): Promise<string | undefined> {
  const command = env.CNI_COMMAND;
  if (!command) throw new CniError(ErrorCode.InvalidEnvironment, 'required env variables [CNI_COMMAND] missing');
  if (command === 'VERSION') {
    const asked = peekVersion(stdin);
    return JSON.stringify({ cniVersion: asked && isSupportedVersion(asked) ? asked : PLUGIN_CNI_VERSION, supportedVersions: SUPPORTED_VERSIONS });
  }
  if (!['ADD', 'DEL', 'CHECK', 'GC', 'STATUS'].includes(command)) {
    throw new CniError(ErrorCode.InvalidEnvironment, `CNI_COMMAND ${JSON.stringify(command)}: expected ADD, DEL, CHECK, GC, STATUS or VERSION`);
  }
  const conf = parseNetConf(stdin);
  switch (command) {
    case 'ADD':
      return JSON.stringify(await cmdAdd(conf, { ...attachmentFromEnv(env), netns: env.CNI_NETNS ?? '' }));
    case 'DEL':
      await cmdDel(conf, attachmentFromEnv(env));
      return undefined;
    case 'CHECK':
      await cmdCheck(conf, { ...attachmentFromEnv(env), netns: env.CNI_NETNS ?? '' });
      return undefined;
    case 'GC':
      await cmdGc(conf);
      return undefined;
    default:
      cmdStatus(conf);
      return undefined;
  }
}

/**
 * One CNI invocation as a function: what the executable would print on stdout and its exit code.
 * The node agent calls this in process for `kite-bridge` (no Node start-up per pod); the
 * executable below is the same code behind the CNI_* environment and stdin.
 */
export async function runCni(env: Env, stdin: string): Promise<{ stdout: string; exitCode: number }> {
  try {
    const out = await run(env, stdin);
    return { stdout: out === undefined ? '' : out + '\n', exitCode: 0 };
  } catch (err) {
    const cniErr = err instanceof CniError ? err : new CniError(ErrorCode.IoFailure, `kite-bridge: ${(err as Error)?.message ?? String(err)}`);
    const asked = peekVersion(stdin);
    return { stdout: JSON.stringify(cniErr.toJSON(asked && isSupportedVersion(asked) ? asked : PLUGIN_CNI_VERSION)) + '\n', exitCode: 1 };
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void runCni(process.env, readStdin()).then(({ stdout, exitCode }) => {
    if (stdout) process.stdout.write(stdout);
    process.exitCode = exitCode;
  });
}
