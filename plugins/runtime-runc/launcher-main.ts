// The launcher process (see launcher.ts): starts programs for the runtime so that the node agent's
// own process never forks. Requests and answers are JSON lines on stdin/stdout:
//   {"id":1,"file":"mount","args":[...]}                  → {"id":1,"code":0,"stdout":"…","stderr":"…"}
//   {"id":2,"file":"sh","args":[...],"detached":true}     → {"id":2,"pid":1234}
//   {"id":3,…,"detached":true,"untilStdoutCloses":true}   → {"id":3,"pid":1234,"stdout":"ready\n"}
// The last form answers once the program has closed its stdout (e.g. `echo ready && exec sleep
// infinity >/dev/null`): a readiness signal without polling /proc.
// Detached programs get their own session and no stdio, so they outlive the launcher and the agent.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

interface Request {
  id: number;
  file: string;
  args: string[];
  detached?: boolean;
  untilStdoutCloses?: boolean;
  timeoutMs?: number;
}

const answer = (msg: object) => process.stdout.write(`${JSON.stringify(msg)}\n`);

function handle(req: Request): void {
  if (req.detached && req.untilStdoutCloses) {
    const child = spawn(req.file, req.args, { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.once('error', (e) => answer({ id: req.id, error: e.message }));
    if (!child.pid) return;
    const pid = child.pid;
    child.unref();
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stdout.once('close', () => answer({ id: req.id, pid, stdout }));
    return;
  }
  if (req.detached) {
    const child = spawn(req.file, req.args, { detached: true, stdio: 'ignore' });
    child.once('error', (e) => answer({ id: req.id, error: e.message }));
    if (child.pid) {
      child.unref();
      answer({ id: req.id, pid: child.pid });
    }
    return;
  }
  const child = spawn(req.file, req.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const timer = req.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), req.timeoutMs) : undefined;
  child.once('error', (e) => { if (timer) clearTimeout(timer); answer({ id: req.id, error: e.message, stdout, stderr }); });
  child.once('close', (code, signal) => {
    if (timer) clearTimeout(timer);
    answer({ id: req.id, code, signal, stdout, stderr });
  });
}

createInterface({ input: process.stdin }).on('line', (line) => {
  if (!line.trim()) return;
  try {
    handle(JSON.parse(line) as Request);
  } catch {
    // A malformed line has no id to answer; the parent times out on its side.
  }
}).on('close', () => process.exit(0));
