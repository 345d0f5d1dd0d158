// Options of the example plugin: validated and defaulted here, refused with the offending key.
import { PluginConfigError } from '../../kernel/plugin/types.js';

export interface ExampleOptions {
  /** Returned in every echo answer. Required. */
  greeting: string;
  /** Make start() throw: shows that a failing plugin is restarted without affecting the others. */
  failStart: boolean;
  /** Subject to serve; default `kite.example.<entry name>.echo`. */
  subject?: string;
}

const KEYS = ['greeting', 'failStart', 'subject'];

export function setup(raw: unknown): ExampleOptions {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new PluginConfigError('', 'must be a mapping with at least greeting');
  }
  const options = raw as Record<string, unknown>;
  for (const key of Object.keys(options)) {
    if (!KEYS.includes(key)) throw new PluginConfigError(key, `unknown option (allowed: ${KEYS.join(', ')})`);
  }
  const { greeting, failStart = false, subject } = options;
  if (typeof greeting !== 'string' || greeting.trim() === '') throw new PluginConfigError('greeting', 'must be a non-empty string');
  if (typeof failStart !== 'boolean') throw new PluginConfigError('failStart', 'must be true or false');
  if (subject !== undefined && (typeof subject !== 'string' || !/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(subject))) {
    throw new PluginConfigError('subject', 'must be a NATS subject without wildcards, e.g. kite.example.hello.echo');
  }
  return { greeting, failStart, ...(subject !== undefined ? { subject: subject as string } : {}) };
}
