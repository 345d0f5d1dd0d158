// Topology domains as numbers: node index → id of the node's value for a topology key (−1: the
// label is missing), remembered per node version (labels change only with the Node object). Batch
// plugins count per domain in typed arrays instead of looking labels up per node and cycle.
import type { NodeColumns } from '../../framework/interfaces.js';
import { grown } from './grow.js';

/** Node index → id of its value for one topology key (−1: label missing), remembered per node version. */
export class DomainIndex {
  version = new Float64Array(0);
  id = new Int32Array(0);
  readonly values: string[] = [];
  /** Value → id. */
  readonly ids = new Map<string, number>();

  constructor(private readonly key: string) {}

  refresh(columns: NodeColumns): this {
    const n = columns.count;
    if (this.id.length < n) {
      this.version = grown(this.version, n);
      this.id = grown(this.id, n);
    }
    const seen = columns.version;
    for (let i = 0; i < n; i++) {
      if (this.version[i] === seen[i]) continue;
      this.version[i] = seen[i]!;
      const v = (columns.nodes[i]!.node.metadata.labels as Record<string, unknown> | undefined)?.[this.key];
      // Label values are strings; inherited members (a key like "constructor") are not.
      if (typeof v !== 'string' || !Object.prototype.hasOwnProperty.call(columns.nodes[i]!.node.metadata.labels, this.key)) this.id[i] = -1;
      else {
        let d = this.ids.get(v);
        if (d === undefined) {
          d = this.values.length;
          this.values.push(v);
          this.ids.set(v, d);
        }
        this.id[i] = d;
      }
    }
    return this;
  }
}

/** One DomainIndex per topology key. */
export class DomainIndexes {
  private readonly byKey = new Map<string, DomainIndex>();

  /** The index for `key`, brought up to date with `columns`. */
  get(key: string, columns: NodeColumns): DomainIndex {
    let d = this.byKey.get(key);
    if (!d) {
      // Topology keys are few (zone, hostname, region…); a cluster with many just starts over.
      if (this.byKey.size >= 64) this.byKey.clear();
      d = new DomainIndex(key);
      this.byKey.set(key, d);
    }
    return d.refresh(columns);
  }
}
