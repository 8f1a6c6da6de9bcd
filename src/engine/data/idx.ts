/**
 * IDX files, the MNIST format: big-endian magic (0x00 0x00 type rank), one uint32 per
 * dimension, then the values. Gzipped files are recognised by their magic bytes, not their
 * name. Every defect is reported with the file name, and what was expected.
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { nonRegularKind } from '../../protocol/loadConfig';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;

/** The IDX value types: bytes per value and how to read one (big-endian). */
const TYPES: Record<number, { name: string; bytes: number; read: (v: DataView, at: number) => number }> = {
  0x08: { name: 'unsigned byte', bytes: 1, read: (v, at) => v.getUint8(at) },
  0x09: { name: 'signed byte', bytes: 1, read: (v, at) => v.getInt8(at) },
  0x0b: { name: 'short', bytes: 2, read: (v, at) => v.getInt16(at, false) },
  0x0c: { name: 'int', bytes: 4, read: (v, at) => v.getInt32(at, false) },
  0x0d: { name: 'float', bytes: 4, read: (v, at) => v.getFloat32(at, false) },
  0x0e: { name: 'double', bytes: 8, read: (v, at) => v.getFloat64(at, false) },
};

function readMaybeGzipped(file: string): Buffer {
  // A FIFO blocks the read until someone writes to it, and /dev/zero never ends: only regular files are data.
  const kind = nonRegularKind(file);
  if (kind) throw new Error(`${file}: not a regular file (${kind}); IDX data must be a file`);
  const bytes: Buffer = fs.readFileSync(file);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return zlib.gunzipSync(bytes);
    } catch (e) {
      throw new Error(`${file}: corrupt gzip data (${(e as Error).message})`);
    }
  }
  return bytes;
}

export function readIdxFile(file: string): IdxArray {
  return parseIdx(readMaybeGzipped(file), file);
}

export interface IdxValues {
  dims: number[];
  values: Float32Array;
}

/** An IDX file of any value type (bytes, ints, floats, doubles) as float32 values: regression targets. */
export function readIdxValues(file: string): IdxValues {
  const bytes = readMaybeGzipped(file);
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error(`${file}: not an IDX file (bad magic number ${hex(bytes.subarray(0, 4))}; expected 00 00 TT 0N)`);
  }
  const type = TYPES[bytes[2]];
  if (!type) throw new Error(`${file}: unknown IDX value type 0x${bytes[2].toString(16)} (expected 08, 09, 0B, 0C, 0D or 0E)`);
  const dims = header(bytes, file);
  const count = dims.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * dims.length;
  if (bytes.length - start !== count * type.bytes) {
    throw new Error(`${file}: wrong length: dimensions ${dims.join('×')} of ${type.name}s need ${count * type.bytes} bytes of data, the file has ${bytes.length - start}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = type.read(view, start + i * type.bytes);
  return { dims, values };
}

function header(bytes: Uint8Array, file: string): number[] {
  const rank = bytes[3];
  if (rank < 1 || rank > 4) throw new Error(`${file}: IDX rank ${rank} is not supported (1 to 4)`);
  const size = 4 + 4 * rank;
  if (bytes.length < size) throw new Error(`${file}: truncated IDX header (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
}

export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error(`${file}: not an IDX file (bad magic number ${hex(bytes.subarray(0, 4))}; expected 00 00 08 0N)`);
  }
  if (bytes[2] !== UBYTE) throw new Error(`${file}: IDX type 0x${bytes[2].toString(16)} is not supported (only unsigned bytes, 0x08)`);
  const rank = bytes[3];
  if (rank < 1 || rank > 4) throw new Error(`${file}: IDX rank ${rank} is not supported (1 to 4)`);
  const header = 4 + 4 * rank;
  if (bytes.length < header) throw new Error(`${file}: truncated IDX header (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  if (bytes.length - header !== count) {
    throw new Error(`${file}: wrong length: dimensions ${dims.join('×')} need ${count} bytes of data, the file has ${bytes.length - header}`);
  }
  return { dims, data: bytes.subarray(header) };
}

/** Writes an uncompressed IDX float32 (type 0x0D) file, e.g. regression targets [N, d]. */
export function encodeIdxFloat32(dims: number[], values: Float32Array): Buffer {
  const count = dims.reduce((a, b) => a * b, 1);
  if (values.length !== count) throw new Error(`${values.length} values for dimensions ${dims.join('×')}`);
  const out = Buffer.alloc(4 + 4 * dims.length + 4 * count);
  out[2] = 0x0d;
  out[3] = dims.length;
  dims.forEach((d, i) => out.writeUInt32BE(d, 4 + 4 * i));
  values.forEach((v, i) => out.writeFloatBE(v, 4 + 4 * dims.length + 4 * i));
  return out;
}

/** Writes an uncompressed (or gzipped, by name) IDX ubyte file; used by tests and exports. */
export function encodeIdx(dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = UBYTE;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}
