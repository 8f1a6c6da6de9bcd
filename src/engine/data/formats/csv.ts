/**
 * CSV tables (csv-parse): a header row, numeric feature columns and one label column. Rows
 * become [D] float32 samples, held as 1×1×D images so that the per-channel statistics of
 * "perChannel" normalisation are per feature. Labels are class numbers when every label is a
 * non-negative integer, else strings given class ids in sorted order (names kept); a test
 * table's labels use the training table's classes. Errors name the file, the line and the column.
 */
import * as fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { CsvSource } from '../../../protocol/config';
import type { ImageSet, LoadedSource, Pixels } from '../sources';
import { decodeKey, readCacheEntry, writeCacheEntry } from './decodeCache';

export interface CsvTable {
  set: ImageSet;
  features: string[];
  /** The class names when the labels are strings. */
  classNames?: string[];
}

interface Row {
  record: string[];
  info: { lines: number };
}

function rowsOf(file: string, delimiter: string): Row[] {
  const text = fs.readFileSync(file, 'utf8');
  try {
    return parse(text, { info: true, relax_column_count: true, skip_empty_lines: true, trim: true, delimiter, bom: true }) as unknown as Row[];
  } catch (e) {
    throw new Error(`${file}: not a readable CSV table (${(e as Error).message})`, { cause: e });
  }
}

/** `classes`: the training table's string classes, when reading a test table. */
export function readCsvTable(file: string, spec: { label: string; features?: string[]; delimiter: string }, classes?: string[]): CsvTable {
  const rows = rowsOf(file, spec.delimiter);
  if (!rows.length) throw new Error(`${file}: empty table (expected a header row naming the columns)`);
  const header = rows[0].record;
  const col = (name: string) => {
    const at = header.indexOf(name);
    if (at < 0) throw new Error(`${file}: no column "${name}" in the header (columns: ${header.join(', ')})`);
    return at;
  };
  const labelAt = col(spec.label);
  const features = spec.features ?? header.filter((h, i) => i !== labelAt);
  const featureAt = features.map(col);
  if (!features.length) throw new Error(`${file}: no feature columns besides the label "${spec.label}"`);
  const body = rows.slice(1);
  if (!body.length) throw new Error(`${file}: the table has a header but no rows`);
  const d = features.length;
  const values = new Float32Array(body.length * d);
  const rawLabels: string[] = [];
  body.forEach(({ record, info }, r) => {
    const where = `${file}: line ${info.lines}`;
    if (record.length !== header.length) throw new Error(`${where}: ${record.length} columns, the header has ${header.length} (ragged row)`);
    featureAt.forEach((c, j) => {
      const text = record[c];
      const v = text === '' ? NaN : Number(text);
      if (!Number.isFinite(v)) throw new Error(`${where}, column "${features[j]}" (${c + 1}): ${text === '' ? 'missing value' : `"${text}" is not a number`}`);
      values[r * d + j] = v;
    });
    const label = record[labelAt];
    if (label === '') throw new Error(`${where}, column "${spec.label}" (${labelAt + 1}): missing label`);
    rawLabels.push(label);
  });
  const { labels, classNames } = labelIds(rawLabels, body, file, spec.label, labelAt, classes);
  return { set: { images: values, labels, count: body.length, height: 1, width: 1, channels: d }, features, classNames };
}

function labelIds(
  raw: string[],
  body: Row[],
  file: string,
  column: string,
  at: number,
  classes: string[] | undefined,
): { labels: Uint8Array; classNames?: string[] } {
  const labels = new Uint8Array(raw.length);
  const where = (r: number) => `${file}: line ${body[r].info.lines}, column "${column}" (${at + 1})`;
  if (!classes && raw.every((s) => /^\d+$/.test(s))) {
    raw.forEach((s, r) => {
      const v = Number(s);
      if (v > 255) throw new Error(`${where(r)}: class ${v} is above 255`);
      labels[r] = v;
    });
    return { labels };
  }
  const names = classes ?? [...new Set(raw)].sort();
  if (names.length > 256) throw new Error(`${file}: column "${column}" has ${names.length} distinct labels; at most 256 classes`);
  const id = new Map(names.map((n, i) => [n, i]));
  raw.forEach((s, r) => {
    const k = id.get(s);
    if (k === undefined) throw new Error(`${where(r)}: label "${s}" is not a class of the training table (${names.join(', ')})`);
    labels[r] = k;
  });
  return { labels, classNames: names };
}

interface CsvMeta {
  counts: { train: number; test?: number };
  features: string[];
  classNames?: string[];
}

/** CSV tables, parsed once and kept in the decode cache (a large table parses in seconds, the cache reads in milliseconds). */
export function loadCsvSource(src: CsvSource, r: (p: string) => string, cacheDir: string | undefined): LoadedSource {
  const files = [r(src.train), ...(src.test ? [r(src.test)] : [])];
  const key = cacheDir ? decodeKey('csv', files, { label: src.label, features: src.features, delimiter: src.delimiter, test: !!src.test }) : undefined;
  const describe = (t: ImageSet, m: CsvMeta) =>
    `CSV ${src.train} (${t.count} rows, ${m.features.length} features, label "${src.label}"${m.classNames ? `: ${m.classNames.length} classes` : ''})`;
  const hit = key ? readCacheEntry<CsvMeta>(cacheDir!, key) : undefined;
  if (hit) {
    const d = hit.meta.features.length;
    const set = (n: number, name: string): ImageSet => ({
      images: hit.arrays[`${name}.x`],
      labels: hit.arrays[`${name}.y`] as Uint8Array,
      count: n,
      height: 1,
      width: 1,
      channels: d,
    });
    const train = set(hit.meta.counts.train, 'train');
    const test = hit.meta.counts.test !== undefined ? set(hit.meta.counts.test, 'test') : undefined;
    return { train, test, classNames: hit.meta.classNames, tabular: true, description: describe(train, hit.meta) };
  }
  const train = readCsvTable(files[0], src);
  const test = src.test ? readCsvTable(files[1], { ...src, features: train.features }, train.classNames) : undefined;
  const meta: CsvMeta = {
    counts: { train: train.set.count, ...(test ? { test: test.set.count } : {}) },
    features: train.features,
    classNames: train.classNames,
  };
  if (key) {
    const arrays: Record<string, Pixels> = { 'train.x': train.set.images, 'train.y': train.set.labels };
    if (test) Object.assign(arrays, { 'test.x': test.set.images, 'test.y': test.set.labels });
    // Best effort: a table that cannot be cached is parsed again next time (writeCacheEntry returns why).
    writeCacheEntry(cacheDir!, key, { meta, arrays });
  }
  return { train: train.set, test: test?.set, classNames: train.classNames, tabular: true, description: describe(train.set, meta) };
}
