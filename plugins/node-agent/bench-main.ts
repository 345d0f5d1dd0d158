// Runs the node benchmark directly until `node` is registered in kernel/bench/run.ts:
// node dist/plugins/node-agent/bench-main.js [--json out.json]
import 'reflect-metadata';
import { benchmark } from './bench.js';

const at = process.argv.indexOf('--json');
const json = at > 0 && process.argv[at + 1] ? process.argv[at + 1]! : 'bench-results/node.json';
await benchmark.run({ rest: [], flags: new Map(), json });
process.exit(0);
