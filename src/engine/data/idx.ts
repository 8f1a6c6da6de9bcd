/**
 * IDX files, the MNIST format: big-endian magic (0x00 0x00 type rank), one uint32 per
 * dimension, then the values. Gzipped files are recognised by their magic bytes, not their
 * name. Every defect is reported with the file name, and what was expected.
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;

export function readIdxFile(file: string): IdxArray {
  let bytes: Buffer = fs.readFileSync(file);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = zlib.gunzipSync(bytes);
    } catch (e) {
      throw new Error(`${file}: corrupt gzip data (${(e as Error).message})`);
    }
  }
  return parseIdx(bytes, file);
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
