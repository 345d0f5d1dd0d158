// Rejections with a fixed reason, built once: filters return them for many nodes per cycle, and a
// status that already names its plugin is passed through by the runtime without a copy.
import type { Code, Status } from '../../framework/interfaces.js';

export function fixedRejection(plugin: string, code: Code, reason: string): Status {
  return Object.freeze({ code, reasons: Object.freeze([reason]), plugin });
}
