/**
 * The kd.json schema's default at a JSON path (KdConfig's zod `.default`/`.prefault`), read from
 * the schema itself so that there is no second table of defaults. Undefined where the schema has
 * none (a required key, a union's branch, an array's element without one).
 */
import { KdConfig } from './config';
import type { JsonPath } from './configPaths';

// zod 4 keeps a schema's definition on `_zod.def`; only the wrappers and containers below matter here.
type Def = { type: string; innerType?: unknown; in?: unknown; defaultValue?: unknown; shape?: Record<string, unknown>; element?: unknown; valueType?: unknown };
const defOf = (s: unknown): Def | undefined => (s as { _zod?: { def?: Def } } | undefined)?._zod?.def;

/** Unwraps defaults, optionals and pipes, keeping the outermost default seen. */
function unwrap(schema: unknown): { schema: unknown; dflt: unknown } {
  let s = schema;
  let dflt: unknown;
  for (let def = defOf(s); def; def = defOf(s)) {
    if (def.type === 'default' || def.type === 'prefault') {
      if (dflt === undefined) dflt = typeof def.defaultValue === 'function' ? (def.defaultValue as () => unknown)() : def.defaultValue;
      s = def.innerType;
    } else if (def.type === 'optional' || def.type === 'nullable' || def.type === 'readonly') s = def.innerType;
    else if (def.type === 'pipe') s = def.in;
    else break;
  }
  return { schema: s, dflt };
}

export function schemaDefaultAt(path: JsonPath, root: unknown = KdConfig): unknown {
  let s = root;
  for (const key of path) {
    const def = defOf(unwrap(s).schema);
    if (def?.type === 'object' && typeof key === 'string') s = def.shape?.[key];
    else if (def?.type === 'array' && typeof key === 'number') s = def.element;
    else if (def?.type === 'record' && typeof key === 'string') s = def.valueType;
    else return undefined;
    if (s === undefined) return undefined;
  }
  return unwrap(s).dflt;
}
