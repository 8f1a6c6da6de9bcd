/**
 * The decode cache: what an image folder or a CSV table decodes to, kept under
 * `.distillery/cache/decoded-<key>.bin` so that the next run reads it in one go instead of
 * decoding every file again. The key is a digest of the files (path, size, mtime) and the
 * decode options, made by the caller (`decodeKey`): a changed, added or removed file, or
 * other options, misses. An entry is a JSON header (its length first, uint32 LE) and then the
 * arrays it lists, byte for byte; it is written under a temporary name and renamed, so that
 * a reader never sees half an entry and parallel trials can write the same one.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tmpNameBeside } from '../../util/tmpName';

/** Bump when what a decoder writes changes: older entries then miss. */
const CACHE_VERSION = 1;

export type CachedArray = Uint8Array | Float32Array;

export interface CacheEntry<M> {
  meta: M;
  arrays: Record<string, CachedArray>;
}

/** The identity of each file, sorted by path: what a decode read. */
export function filesIdentity(files: string[]): [string, number, number][] {
  return files.map((f) => {
    const st = fs.statSync(f);
    return [f, st.size, st.mtimeMs] as [string, number, number];
  });
}

export function decodeKey(kind: string, files: string[], options: unknown): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ version: CACHE_VERSION, kind, options }));
  for (const [f, size, mtime] of filesIdentity(files)) h.update(`\n${f}\0${size}\0${mtime}`);
  return h.digest('hex').slice(0, 24);
}

export function cacheFile(cacheDir: string, key: string): string {
  return path.join(cacheDir, `decoded-${key}.bin`);
}

interface Header<M> {
  meta: M;
  arrays: { name: string; type: 'uint8' | 'float32'; length: number }[];
}

/** The entry, or undefined when there is none (or it is unreadable: then it is decoded again and replaced). */
export function readCacheEntry<M>(cacheDir: string, key: string): CacheEntry<M> | undefined {
  const file = cacheFile(cacheDir, key);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  try {
    const len = bytes.readUInt32LE(0);
    const header = JSON.parse(bytes.subarray(4, 4 + len).toString('utf8')) as Header<M>;
    // Arrays start 4-aligned so that float32 views need no copy.
    let at = align4(4 + len);
    const arrays: Record<string, CachedArray> = {};
    for (const a of header.arrays) {
      const n = a.type === 'uint8' ? a.length : a.length * 4;
      if (at + n > bytes.length) return undefined;
      arrays[a.name] =
        a.type === 'uint8' ? new Uint8Array(bytes.buffer, bytes.byteOffset + at, a.length) : new Float32Array(bytes.buffer, bytes.byteOffset + at, a.length);
      at = align4(at + n);
    }
    return { meta: header.meta, arrays };
  } catch {
    return undefined;
  }
}

/**
 * Writes the entry (atomically: a temporary file renamed), or returns why it could not: a cache
 * is an optimisation, so a full disk or a read-only folder costs the next run a decode, never
 * this run, whose data is already decoded.
 */
export function writeCacheEntry<M>(cacheDir: string, key: string, entry: CacheEntry<M>): string | Error {
  const file = cacheFile(cacheDir, key);
  const tmp = tmpNameBeside(file);
  try {
    writeEntry(cacheDir, file, tmp, entry);
    return file;
  } catch (e) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // No folder, no temporary file.
    }
    return e as Error;
  }
}

function writeEntry<M>(cacheDir: string, file: string, tmp: string, entry: CacheEntry<M>): void {
  fs.mkdirSync(cacheDir, { recursive: true });
  const header: Header<M> = {
    meta: entry.meta,
    arrays: Object.entries(entry.arrays).map(([name, a]) => ({ name, type: a instanceof Float32Array ? 'float32' : 'uint8', length: a.length })),
  };
  const json = Buffer.from(JSON.stringify(header));
  const fd = fs.openSync(tmp, 'w');
  try {
    let at = 0;
    const put = (b: Uint8Array) => {
      for (let off = 0; off < b.length;) off += fs.writeSync(fd, b, off, b.length - off);
      at += b.length;
    };
    const pad = () => put(new Uint8Array(align4(at) - at));
    const len = Buffer.alloc(4);
    len.writeUInt32LE(json.length);
    put(len);
    put(json);
    pad();
    for (const a of Object.values(entry.arrays)) {
      put(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      pad();
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
