// How metrics-server writes its numbers: CPU as a decimal quantity scaled to nano (`123456n`,
// `200m`), memory as a binary quantity of bytes (`456Ki`), the window as a Go duration (`15.004s`).
import { canonicalQuantity } from '../../objects/validation/quantity.js';

const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

/** nanocores → `123456n`, `5u`, `200m`, `2` (the largest suffix that keeps the number whole). */
export function cpuQuantity(nanoCores: number): string {
  return canonicalQuantity(`${Math.max(0, Math.round(nanoCores))}n`);
}

/** bytes → `1536`, `2Ki`, `456Mi`: below 1Ki plain, else the whole number of the largest power of 1024 that divides it. */
export function memoryQuantity(bytes: number): string {
  let units = Math.max(0, Math.round(bytes));
  if (units < 1024) return String(units);
  let power = 0;
  while (power < BINARY_SUFFIXES.length - 1 && units % 1024 === 0) {
    units /= 1024;
    power++;
  }
  return `${units}${BINARY_SUFFIXES[power]}`;
}

/** seconds → Go's time.Duration text, to the millisecond: `15s`, `15.004s`, `1m8.585s`, `1h0m0s`, `0s`. */
export function goDuration(seconds: number): string {
  let ms = Math.max(0, Math.round(seconds * 1000));
  if (ms === 0) return '0s';
  const hours = Math.floor(ms / 3_600_000);
  ms -= hours * 3_600_000;
  const minutes = Math.floor(ms / 60_000);
  ms -= minutes * 60_000;
  const secs = Math.floor(ms / 1000);
  const fraction = ms % 1000 ? `.${String(ms % 1000).padStart(3, '0').replace(/0+$/, '')}` : '';
  const tail = `${secs}${fraction}s`;
  if (hours) return `${hours}h${minutes}m${tail}`;
  if (minutes) return `${minutes}m${tail}`;
  return tail;
}
