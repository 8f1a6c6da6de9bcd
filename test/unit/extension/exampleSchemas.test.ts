/**
 * A kd.json's own "$schema" overrides the schema the extension associates with kd.json
 * (package.json jsonValidation): one that points nowhere kills completion and hovers. Every
 * example, and the starter the extension writes, either has none or names a file that exists.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, type ParseError } from 'jsonc-parser';
import { STARTER_KD_JSON } from '../../../src/extension/commands/starterKdJson';

const root = path.resolve(__dirname, '../../..');

function kdJsonFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'node_modules' || e.name === '.distillery') return [];
    const p = path.join(dir, e.name);
    return e.isDirectory() ? kdJsonFiles(p) : /(^|\.)kd\.json$/.test(e.name) ? [p] : [];
  });
}

/** Why this "$schema" does not resolve to a file, or undefined when it does (or is absent). */
function schemaProblem(text: string, file: string): string | undefined {
  const errors: ParseError[] = [];
  const json = parse(text, errors, { allowTrailingComma: true }) as { $schema?: unknown };
  if (errors.length) return `${file}: not JSONC`;
  if (json.$schema === undefined) return undefined;
  if (typeof json.$schema !== 'string' || /^[a-z]+:/i.test(json.$schema))
    return `${file}: "$schema" ${JSON.stringify(json.$schema)} is not a relative file path`;
  const target = path.resolve(path.dirname(file), json.$schema);
  return fs.existsSync(target) && fs.statSync(target).isFile() ? undefined : `${file}: "$schema" ${json.$schema} points nowhere (${target})`;
}

describe('"$schema" of the example and starter kd.json files', () => {
  it('every example has none or one that resolves to an existing file', () => {
    const files = kdJsonFiles(path.join(root, 'examples'));
    assert.ok(files.length >= 8, `the examples: ${files.join(', ')}`);
    const problems = files.map((f) => schemaProblem(fs.readFileSync(f, 'utf8'), path.relative(root, f))).filter(Boolean);
    assert.deepEqual(problems, []);
  });

  it('the starter kd.json too', () => {
    assert.equal(schemaProblem(STARTER_KD_JSON, 'starter kd.json'), undefined);
  });

  it('a "$schema" that points nowhere is caught', () => {
    assert.match(schemaProblem('{ "$schema": "../../schemas/kd.schema.json" }', path.join(root, 'examples/mnist/kd.json'))!, /points nowhere/);
  });
});
