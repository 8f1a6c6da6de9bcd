/**
 * The header of an IDX file (the MNIST format): big-endian magic 00 00 TT 0N, then one uint32
 * per dimension. One reader for the engine, which parses whole files (engine/data/idx.ts), and
 * for kd.json's file checks (loadConfig.ts), which read only the first bytes so that
 * `distill validate` and the editor refuse a float images file without reading its body.
 * No tfjs, no vscode.
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';

export const IDX_UBYTE = 0x08;
export const IDX_FLOAT = 0x0d;

/** Which value types a file may hold: labels are unsigned bytes; images bytes or float32 (0x0D); regression targets any. */
export type IdxAllowed = 'uint8' | 'pixels' | 'any';

/** The IDX value types: bytes per value and how to read one (big-endian). */
export const IDX_TYPES: Record<number, { name: string; bytes: number; read: (v: DataView, at: number) => number }> = {
  0x08: { name: 'unsigned byte', bytes: 1, read: (v, at) => v.getUint8(at) },
  0x09: { name: 'signed byte', bytes: 1, read: (v, at) => v.getInt8(at) },
  0x0b: { name: 'short', bytes: 2, read: (v, at) => v.getInt16(at, false) },
  0x0c: { name: 'int', bytes: 4, read: (v, at) => v.getInt32(at, false) },
  0x0d: { name: 'float', bytes: 4, read: (v, at) => v.getFloat32(at, false) },
  0x0e: { name: 'double', bytes: 8, read: (v, at) => v.getFloat64(at, false) },
};

export interface IdxHeader {
  type: number;
  dims: number[];
  /** Where the values start. */
  dataOffset: number;
}

/** The longest header: magic and four dimensions. */
const MAX_HEADER_BYTES = 4 + 4 * 4;

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

function typeByte(t: number): string {
  return `0x${t.toString(16).padStart(2, '0')}`;
}

/**
 * Parses the header. `allowed`: labels are class numbers, so only unsigned bytes; images are
 * pixels 0–255 (bytes) or float32 values (0x0D, kept as floats); regression targets take any
 * type. Every error names the file.
 */
export function parseIdxHeader(bytes: Uint8Array, file: string, allowed: IdxAllowed): IdxHeader {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error(`${file}: not an IDX file (bad magic number ${hex(bytes.subarray(0, 4))}; expected 00 00 ${allowed === 'uint8' ? '08' : 'TT'} 0N)`);
  }
  const type = IDX_TYPES[bytes[2]];
  if (!type) throw new Error(`${file}: unknown IDX value type 0x${bytes[2].toString(16)} (expected 08, 09, 0B, 0C, 0D or 0E)`);
  if (allowed === 'uint8' && bytes[2] !== IDX_UBYTE) {
    throw new Error(`${file}: IDX type ${typeByte(bytes[2])} (${type.name}) is not supported here: labels must be unsigned bytes (0x08), class numbers`);
  }
  if (allowed === 'pixels' && bytes[2] !== IDX_UBYTE && bytes[2] !== IDX_FLOAT) {
    throw new Error(
      `${file}: IDX type ${typeByte(bytes[2])} (${type.name}) is not supported here: images must be unsigned bytes (0x08, pixels 0–255) or floats (0x0D)`,
    );
  }
  const rank = bytes[3];
  if (rank < 1 || rank > 4) throw new Error(`${file}: IDX rank ${rank} is not supported (1 to 4)`);
  const dataOffset = 4 + 4 * rank;
  if (bytes.length < dataOffset) throw new Error(`${file}: truncated IDX header (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { type: bytes[2], dims: Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false)), dataOffset };
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The first bytes of a file, decompressed when it is gzipped (its start only, not the whole file). */
function headBytes(file: string): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const raw = Buffer.alloc(64 * 1024);
    const n = fs.readSync(fd, raw, 0, raw.length, 0);
    const head = raw.subarray(0, n);
    if (!isGzip(head)) return head.subarray(0, MAX_HEADER_BYTES);
    try {
      // A sync flush decompresses what the bytes read so far hold, without needing the end.
      return zlib.gunzipSync(head, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, MAX_HEADER_BYTES);
    } catch (e) {
      throw new Error(`${file}: corrupt gzip data (${(e as Error).message})`, { cause: e });
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads and checks only the header of an IDX file (gzipped or not); throws with the file named. */
export function readIdxHeaderFile(file: string, allowed: IdxAllowed): IdxHeader {
  return parseIdxHeader(headBytes(file), file, allowed);
}
