// Kubernetes resource quantities ('100m', '1.5', '128Mi', '1G', '1e3'): parsed to a plain number of
// base units (cores, bytes). Shared by validation, the scheduler and the node agent.

/** The message upstream gives for a quantity it cannot parse. */
export const QUANTITY_FORMAT_MESSAGE = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

const SHAPE = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

export class QuantityError extends Error {
  constructor(readonly input: string) {
    super(QUANTITY_FORMAT_MESSAGE);
    this.name = 'QuantityError';
  }
}

function multiplierOf(suffix: string): number | undefined {
  if (suffix in BINARY) return BINARY[suffix];
  if (suffix in DECIMAL) return DECIMAL[suffix];
  // Decimal exponent: e3, E-2, e+6.
  const exponent = /^[eE]([-+]?[0-9]+)$/.exec(suffix);
  return exponent ? 10 ** Number(exponent[1]) : undefined;
}

/** Parses a quantity (JSON numbers are accepted too); throws QuantityError when it is malformed. */
export function parseQuantity(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new QuantityError(String(input));
    return input;
  }
  const s = input.trim();
  const match = SHAPE.exec(s);
  if (!match || s !== input) throw new QuantityError(input);
  const digits = match[1]!;
  // One decimal point at most, and at least one digit.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(digits)) throw new QuantityError(input);
  const multiplier = multiplierOf(match[2]!);
  if (multiplier === undefined) throw new QuantityError(input);
  return Number(digits) * multiplier;
}

/** Like parseQuantity, but undefined instead of an exception. */
export function tryParseQuantity(input: unknown): number | undefined {
  if (typeof input !== 'string' && typeof input !== 'number') return undefined;
  try {
    return parseQuantity(input);
  } catch {
    return undefined;
  }
}

// ---- canonical form, as the upstream API server stores quantities ----

const DECIMAL_SUFFIXES: Array<[number, string]> = [
  [18, 'E'], [15, 'P'], [12, 'T'], [9, 'G'], [6, 'M'], [3, 'k'], [0, ''], [-3, 'm'], [-6, 'u'], [-9, 'n'],
];
const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

/** An exact value: units × 10^-9 (nano), rounded up like upstream for finer precision. */
function toNanoUnits(input: string): { nanos: bigint; format: 'binary' | 'decimal' | 'exponent' } {
  const match = SHAPE.exec(input)!;
  let digits = match[1]!;
  const suffix = match[2]!;
  const negative = digits.startsWith('-');
  digits = digits.replace(/^[+-]/, '');
  const [whole = '', fraction = ''] = digits.split('.');
  let mantissa = BigInt(`${whole}${fraction}` || '0');
  let exp10 = -fraction.length;
  let format: 'binary' | 'decimal' | 'exponent' = 'decimal';
  if (suffix in BINARY) {
    mantissa *= BigInt(BINARY[suffix]!);
    format = 'binary';
  } else if (suffix in DECIMAL) {
    exp10 += { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 }[suffix as 'n']!;
  } else {
    exp10 += Number(suffix.slice(1));
    format = 'exponent';
  }
  // Scale to nano units, rounding away from zero below a nano.
  const shift = exp10 + 9;
  let nanos: bigint;
  if (shift >= 0) nanos = mantissa * 10n ** BigInt(shift);
  else {
    const divisor = 10n ** BigInt(-shift);
    nanos = mantissa / divisor + (mantissa % divisor === 0n ? 0n : 1n);
  }
  return { nanos: negative ? -nanos : nanos, format };
}

/**
 * The canonical text of a quantity, as the API server returns it: '0.5' → '500m', '1000m' → '1',
 * '0.5Gi' → '512Mi', '1024Mi' → '1Gi', 1.5 → '1500m'. Throws QuantityError when malformed.
 */
export function canonicalQuantity(input: string | number): string {
  const text = typeof input === 'number' ? String(input) : input;
  // Manifests repeat a few values ('100m', '500Mi'): every pod write canonicalizes its requests.
  const known = canonicalCache.get(text);
  if (known !== undefined) return known;
  const canonical = computeCanonical(text);
  if (canonicalCache.size >= CANONICAL_CACHE_SIZE) canonicalCache.clear();
  canonicalCache.set(text, canonical);
  return canonical;
}

const CANONICAL_CACHE_SIZE = 4096;
const canonicalCache = new Map<string, string>();

function computeCanonical(text: string): string {
  parseQuantity(text); // validates the shape
  const { nanos, format } = toNanoUnits(text);
  const sign = nanos < 0n ? '-' : '';
  const abs = nanos < 0n ? -nanos : nanos;
  if (abs === 0n) return '0';
  const NANO = 10n ** 9n;
  // Binary form only for whole byte counts of at least 1Ki.
  if (format === 'binary' && abs % NANO === 0n && abs >= 1024n * NANO) {
    let units = abs / NANO;
    let power = 0;
    while (power < BINARY_SUFFIXES.length - 1 && units % 1024n === 0n) {
      units /= 1024n;
      power++;
    }
    return `${sign}${units}${BINARY_SUFFIXES[power]}`;
  }
  // Largest power of 1000 that keeps an integer mantissa.
  for (const [exp, suffix] of DECIMAL_SUFFIXES) {
    const unit = 10n ** BigInt(exp + 9);
    if (abs % unit === 0n) {
      const mantissa = abs / unit;
      if (format === 'exponent') return `${sign}${mantissa}${exp === 0 ? '' : `e${exp}`}`;
      return `${sign}${mantissa}${suffix}`;
    }
  }
  return `${sign}${abs}n`;
}

/** Rewrites the well-formed quantities of a resource map in canonical form (others are left for validation). */
export function canonicalizeQuantities(map: unknown): void {
  if (typeof map !== 'object' || map === null || Array.isArray(map)) return;
  const entries = map as Record<string, unknown>;
  for (const [name, value] of Object.entries(entries)) {
    if (typeof value !== 'string' && typeof value !== 'number') continue;
    try {
      entries[name] = canonicalQuantity(value);
    } catch {
      // malformed: reported by validation with the original text
    }
  }
}
