// `kite plugins`: the plugin statuses as a kubectl-like table.
import type { PluginStatus } from './types.js';

const HEADERS = ['NAME', 'KIND', 'VERSION', 'PLACEMENT', 'STATE', 'RESTARTS', 'AGE', 'LAST-ERROR'];
const MAX_ERROR_WIDTH = 80;

/** AGE is the time since the plugin entered its current state (`since`). */
export function formatPluginTable(statuses: PluginStatus[], now: Date = new Date()): string {
  const rows = statuses.map((s) => [
    s.name,
    s.kind,
    s.version,
    s.placement,
    s.state,
    String(s.restarts),
    humanDuration(now.getTime() - Date.parse(s.since)),
    s.lastError ? truncate(s.lastError.replace(/\s+/g, ' '), MAX_ERROR_WIDTH) : '<none>',
  ]);
  const table = [HEADERS, ...rows];
  const widths = HEADERS.map((_, col) => Math.max(...table.map((row) => row[col].length)));
  return table
    .map((row) => row.map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col] + 3))).join('').trimEnd())
    .join('\n') + '\n';
}

/** Durations the way kubectl prints ages: 45s, 5m10s, 42m, 3h20m, 20h, 3d4h, 40d, 2y10d. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return withRest(minutes, 'm', seconds % 60, 's');
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return withRest(hours, 'h', minutes % 60, 'm');
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) return withRest(days, 'd', hours % 24, 'h');
  if (days < 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  if (years < 8) return withRest(years, 'y', days % 365, 'd');
  return `${years}y`;
}

function withRest(major: number, majorUnit: string, rest: number, restUnit: string): string {
  return rest === 0 ? `${major}${majorUnit}` : `${major}${majorUnit}${rest}${restUnit}`;
}

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}
