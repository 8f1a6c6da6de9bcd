// Writes dist/kd.schema.json from the zod schema (src/protocol/config.ts) for the editor's
// JSON validation (package.json contributes.jsonValidation). Run by scripts/build.mjs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildKdJsonSchema } from '../src/extension/kdjson/jsonSchema';

const out = path.resolve(process.argv[2] ?? 'dist/kd.schema.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify(buildKdJsonSchema(), null, 2) + '\n');
console.log(`wrote ${path.relative(process.cwd(), out)}`);
