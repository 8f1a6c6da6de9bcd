/**
 * IDX files, the MNIST format: big-endian magic (0x00 0x00 type rank), one uint32 per
 * dimension, then the values. Gzipped files are recognised by their magic bytes, not their
 * name. Every defect is reported with the file name, and what was expected.
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { IDX_TYPES, IDX_UBYTE, isGzip, parseIdxHeader } from '../../protocol/idxHeader';
import { nonRegularKind } from '../../protocol/loadConfig';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

function readMaybeGzipped(file: string): Buffer {
  // A FIFO blocks the read until someone writes to it, and /dev/zero never ends: only regular files are data.
  const kind = nonRegularKind(file);
  if (kind) throw new Error(`${file}: not a regular file (${kind}); IDX data must be a file`);
  const bytes: Buffer = fs.readFileSync(file);
  if (isGzip(bytes)) {
    try {
      return zlib.gunzipSync(bytes);
    } catch (e) {
      throw new Error(`${file}: corrupt gzip data (${(e as Error).message})`, { cause: e });
    }
  }
  return bytes;
}

export function readIdxFile(file: string): IdxArray {
  return parseIdx(readMaybeGzipped(file), file);
}

/** An images file: unsigned bytes (kept as they are) or float32 values (0x0D, kept as float32). */
export function readIdxImages(file: string): { dims: number[]; data: Uint8Array | Float32Array } {
  const bytes = readMaybeGzipped(file);
  const { type, dims, dataOffset } = parseIdxHeader(bytes, file, 'pixels');
  if (type === IDX_UBYTE) return parseIdx(bytes, file);
  const count = dims.reduce((a, b) => a * b, 1);
  if (bytes.length - dataOffset !== count * 4) {
    throw new Error(`${file}: wrong length: dimensions ${dims.join('×')} of floats need ${count * 4} bytes of data, the file has ${bytes.length - dataOffset}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + dataOffset, count * 4);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = view.getFloat32(4 * i, false);
  return { dims, data };
}

export interface IdxValues {
  dims: number[];
  values: Float32Array;
}

/** An IDX file of any value type (bytes, ints, floats, doubles) as float32 values: regression targets. */
export function readIdxValues(file: string): IdxValues {
  const bytes = readMaybeGzipped(file);
  const { type: typeByte, dims, dataOffset: start } = parseIdxHeader(bytes, file, 'any');
  const type = IDX_TYPES[typeByte];
  const count = dims.reduce((a, b) => a * b, 1);
  if (bytes.length - start !== count * type.bytes) {
    throw new Error(
      `${file}: wrong length: dimensions ${dims.join('×')} of ${type.name}s need ${count * type.bytes} bytes of data, the file has ${bytes.length - start}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = type.read(view, start + i * type.bytes);
  return { dims, values };
}

export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  const { dims, dataOffset: header } = parseIdxHeader(bytes, file, 'uint8');
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
  header[2] = IDX_UBYTE;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}
