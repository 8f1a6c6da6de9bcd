/** config.json → dotted keys, and the keys whose values differ between configs. */
export function flatten(value: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (value && typeof value === 'object') {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    if (!entries.length) out[prefix] = Array.isArray(value) ? [] : {};
    for (const [k, v] of entries) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out[prefix] = value;
  }
  return out;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Keys (sorted) whose value is not the same in every config, a missing key counting as a difference. */
export function differingKeys(configs: readonly Record<string, unknown>[]): string[] {
  const keys = new Set<string>();
  for (const c of configs) for (const k of Object.keys(c)) keys.add(k);
  return [...keys].filter((k) => configs.some((c) => !(k in c) || !same(c[k], configs[0][k]))).sort();
}

export function formatValue(v: unknown): string {
  if (v === undefined) return '—';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}
