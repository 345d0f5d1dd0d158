// The real kubectl against a runc node for the terminal and stdin details of attach and exec:
// stdinOnce (`kubectl run -i --rm` ends when its stdin does), stderr on its own channel for
// attach, TERM=xterm on terminals, and resizes after the start of `exec -t` and `attach -t`.
import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import t from 'tap';
import { KUBECTL } from '../../kernel/testing/kite.js';
import { startKubectlNode } from './kubectl-node.testkit.js';
import { runcUnavailable } from './testkit.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;

/** The first descendant of `pid` whose command name is `comm`. */
function descendant(pid: number, comm: string): number | undefined {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').filter(Boolean).map(Number);
  } catch {
    return undefined;
  }
  for (const child of children) {
    try {
      if (readFileSync(`/proc/${child}/comm`, 'utf8').trim() === comm) return child;
    } catch { /* gone */ }
    const deeper = descendant(child, comm);
    if (deeper) return deeper;
  }
  return undefined;
}

t.test('terminals and stdin of attach and exec with the real kubectl', { skip: runcUnavailable(), timeout: 280_000 }, async (t) => {
  const node = await startKubectlNode(t, 'terminal');
  const { kubectl, waitFor, kubectlBase: base } = node;
  const children = new Set<ChildProcess>();
  t.teardown(() => { for (const c of children) c.kill('SIGKILL'); });

  /** kubectl on a terminal of its own (script(1)), as a user at a shell runs it. */
  const onTerminal = (args: string[]) => {
    const child = spawn('script', ['-qec', [KUBECTL, ...base, ...args].map(quote).join(' '), '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { children.delete(child); resolve(code); }));
    return { child, output: () => out, exited };
  };
  /** Sets the size of kubectl's terminal, as a window resize does (kubectl gets SIGWINCH). */
  const resizeTerminal = async (scriptPid: number, cols: number, rows: number): Promise<number> => {
    let kubectlPid: number | undefined;
    for (let i = 0; i < 100 && !kubectlPid; i++) {
      kubectlPid = descendant(scriptPid, 'kubectl');
      if (!kubectlPid) await sleep(100);
    }
    if (!kubectlPid) throw new Error('kubectl did not start under script');
    const tty = readlinkSync(`/proc/${kubectlPid}/fd/0`);
    await new Promise((resolve) => spawn('stty', ['-F', tty, 'cols', String(cols), 'rows', String(rows)], { stdio: 'ignore' }).once('exit', resolve));
    // stty sets columns and rows one at a time, and kubectl (Go) keeps one pending SIGWINCH: a
    // busy kubectl can read the size between the two and miss the second. A terminal emulator
    // sets both at once; one more SIGWINCH makes kubectl read the final size.
    try { process.kill(kubectlPid, 'SIGWINCH'); } catch { /* kubectl exited */ }
    return kubectlPid;
  };
  /** Types `stty size` until the shell answers with `rows cols` (kubectl sends the resize asynchronously). */
  const sizeSeen = async (session: ReturnType<typeof onTerminal>, cols: number, rows: number, kubectlPid?: number) => {
    const want = new RegExp(`\\r*\\n${rows} ${cols}\\r*\\n`);
    for (let i = 0; i < 60 && !want.test(session.output()); i++) {
      session.child.stdin.write('stty size\n');
      await sleep(300);
      // On a loaded machine a resize can be lost between kubectl's signal handling and the
      // stream: ask kubectl to read and send its size again, as a window manager's next event would.
      if (kubectlPid && i % 5 === 4) try { process.kill(kubectlPid, 'SIGWINCH'); } catch { /* exited */ }
    }
    return want.test(session.output());
  };

  await t.test('kubectl run -i --rm: stdinOnce closes the container\'s stdin when kubectl\'s ends', async (t) => {
    const run = await kubectl(['run', '-i', '--rm', 'once', '--image=busybox', '--restart=Never', '--overrides={"spec":{"nodeName":"w1"}}', '--', 'sh', '-c', 'cat; echo after-eof'], 'hello-once\n');
    t.equal(run.code, 0, run.stderr);
    t.match(run.stdout, /hello-once/, 'stdin reached the container');
    t.match(run.stdout, /after-eof/, 'cat saw end-of-file, so the container finished');
    t.match(run.stdout, /pod "once" deleted/, '--rm deleted the pod');
  });

  t.equal((await node.runPod('chatty', { command: ['sh', '-c', 'i=0; while true; do echo out-$i; echo err-$i >&2; i=$((i+1)); sleep 0.2; done'] })).code, 0, 'pod applied');

  await t.test('kubectl attach: stderr on its own channel, logs keep both', async (t) => {
    const child = spawn(KUBECTL, [...base, 'attach', 'chatty'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    for (let i = 0; i < 200 && !(/out-\d+/.test(stdout) && /err-\d+/.test(stderr)); i++) await sleep(100);
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
    children.delete(child);
    t.match(stdout, /out-\d+/, 'stdout arrives on kubectl\'s stdout');
    t.match(stderr, /err-\d+/, 'stderr arrives on kubectl\'s stderr');
    t.notMatch(stdout, /err-\d+/, 'no stderr on stdout');
    t.notMatch(stderr, /out-\d+/, 'no stdout on stderr');
    const logs = await kubectl(['logs', 'chatty', '--tail=6']);
    t.match(logs.stdout, /out-\d+/, 'the log has stdout');
    t.match(logs.stdout, /err-\d+/, 'and stderr');
  });

  await t.test('TERM=xterm for exec -t, not for plain exec', async (t) => {
    const plain = await kubectl(['exec', 'chatty', '--', 'sh', '-c', 'echo "term=[$TERM]"']);
    t.match(plain.stdout, /term=\[\]/, 'no terminal, no TERM');
    const session = onTerminal(['exec', '-it', 'chatty', '--', 'sh', '-c', 'echo "term=[$TERM]"']);
    t.equal(await session.exited, 0);
    t.match(session.output(), /term=\[xterm\]/);
  });

  await t.test('exec -t: a window resize after the start reaches the running command', async (t) => {
    const session = onTerminal(['exec', '-it', 'chatty', '--', 'sh']);
    const kubectlPid = await resizeTerminal(session.child.pid!, 91, 27);
    t.ok(await sizeSeen(session, 91, 27, kubectlPid), `stty size says 27 91: ${JSON.stringify(session.output().slice(-300))}`);
    await resizeTerminal(session.child.pid!, 120, 33);
    t.ok(await sizeSeen(session, 120, 33, kubectlPid), `then 33 120: ${JSON.stringify(session.output().slice(-300))}`);
    session.child.stdin.write('exit\n');
    t.equal(await session.exited, 0);
  });

  await t.test('a tty container: TERM=xterm, and attach -t resizes its terminal', async (t) => {
    t.equal((await node.runPod('console', { stdin: true, tty: true, command: ['sh', '-c', 'echo "term=[$TERM]"; exec sh'] })).code, 0, 'pod applied');
    await waitFor(['logs', 'console'], /term=\[xterm\]/, 'TERM in the container');
    const session = onTerminal(['attach', '-it', 'console']);
    const kubectlPid = await resizeTerminal(session.child.pid!, 87, 29);
    t.ok(await sizeSeen(session, 87, 29, kubectlPid), `stty size says 29 87: ${JSON.stringify(session.output().slice(-300))}`);
    await resizeTerminal(session.child.pid!, 132, 41);
    t.ok(await sizeSeen(session, 132, 41, kubectlPid), `then 41 132: ${JSON.stringify(session.output().slice(-300))}`);
    session.child.kill('SIGTERM');
    await session.exited;
    await waitFor(['get', 'pod', 'console'], /console\s+1\/1\s+Running\s+0/, 'the container keeps running after the client leaves');
  });
});
