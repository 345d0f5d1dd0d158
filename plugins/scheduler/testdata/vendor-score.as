// A vendor's score kernel (AssemblyScript; scheduler.test.ts compiles it with asc): speaks the
// wasm/score ABI but ignores resources and picks the feasible node with the highest index, so a
// test can tell it from Kite's kernel by the choice alone.
const COLUMNS: i32 = 27;
const TOTAL_COLUMN: i32 = 16;
let capacity: i32 = 0;
let base: usize = 0;

export function abiVersion(): i32 {
  return 1;
}

export function init(requested: i32): i32 {
  capacity = (requested + 15) & ~15;
  base = (__heap_base + 15) & ~15;
  const end: usize = base + <usize>capacity * 8 * COLUMNS + <usize>capacity + 16 + 8 * 128 + 8 * 8;
  const pages = i32((end + 65535) >> 16);
  const have = memory.size();
  if (pages > have) memory.grow(pages - have);
  return capacity;
}

export function columnPtr(column: i32): usize {
  return base + <usize>column * <usize>capacity * 8;
}

export function maskPtr(): usize {
  return columnPtr(COLUMNS);
}

export function requestPtr(): usize {
  return (maskPtr() + <usize>capacity + 16 + 7) & ~7;
}

export function outputPtr(): usize {
  return requestPtr() + 8 * 128;
}

export function score(nodeCount: i32, req: usize, out: usize): void {
  const mask = maskPtr();
  const totals = columnPtr(TOTAL_COLUMN);
  let best: i32 = -1;
  let feasible: i32 = 0;
  for (let i: i32 = 0; i < nodeCount; i++) {
    if (load<u8>(mask + <usize>i) != 0) {
      feasible++;
      best = i;
      store<f64>(totals + <usize>i * 8, <f64>i);
    } else {
      store<f64>(totals + <usize>i * 8, -1.0);
    }
  }
  store<f64>(out, <f64>best);
  store<f64>(out + 8, best >= 0 ? <f64>best : -1.0);
  store<f64>(out + 16, <f64>feasible);
  store<f64>(out + 24, best >= 0 ? 1.0 : 0.0);
  store<f64>(out + 32, load<f64>(req + 80));
}
