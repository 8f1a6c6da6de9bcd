/**
 * NumPy arrays: `.npy` files (format versions 1–3) and arrays inside `.npz` archives
 * (np.savez, stored, or np.savez_compressed, deflated; unzipped with fflate). Only what a data
 * set needs: C-order arrays of bytes, integers and floats, little- or big-endian. Samples keep
 * their type where the engine can hold it (uint8 as uint8, float32 as float32; float64 becomes
 * float32), labels become class numbers. Every error names the file (and the array in an archive).
 */
import * as fs from 'node:fs';
import { unzipSync } from 'fflate';
import { splitNpzRef } from '../../../protocol/configPaths';
import type { ImageSet } from '../sources';
import { classLabels } from './labels';

export interface NpyArray {
  /** Like NumPy's `descr`: "<f4", "|u1", ">i8", … */
  dtype: string;
  shape: number[];
  /** The values as a typed array of their own type (64-bit integers as float64, exact below 2^53). */
  values: Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

interface DtypeInfo {
  bytes: number;
  read: (v: DataView, at: number, little: boolean) => number;
  make: (n: number) => NpyArray['values'];
}

const DTYPES: Record<string, DtypeInfo> = {
  u1: { bytes: 1, read: (v, at) => v.getUint8(at), make: (n) => new Uint8Array(n) },
  i1: { bytes: 1, read: (v, at) => v.getInt8(at), make: (n) => new Int8Array(n) },
  b1: { bytes: 1, read: (v, at) => v.getUint8(at), make: (n) => new Uint8Array(n) },
  u2: { bytes: 2, read: (v, at, le) => v.getUint16(at, le), make: (n) => new Uint16Array(n) },
  i2: { bytes: 2, read: (v, at, le) => v.getInt16(at, le), make: (n) => new Int16Array(n) },
  u4: { bytes: 4, read: (v, at, le) => v.getUint32(at, le), make: (n) => new Uint32Array(n) },
  i4: { bytes: 4, read: (v, at, le) => v.getInt32(at, le), make: (n) => new Int32Array(n) },
  u8: { bytes: 8, read: (v, at, le) => Number(v.getBigUint64(at, le)), make: (n) => new Float64Array(n) },
  i8: { bytes: 8, read: (v, at, le) => Number(v.getBigInt64(at, le)), make: (n) => new Float64Array(n) },
  f4: { bytes: 4, read: (v, at, le) => v.getFloat32(at, le), make: (n) => new Float32Array(n) },
  f8: { bytes: 8, read: (v, at, le) => v.getFloat64(at, le), make: (n) => new Float64Array(n) },
};

/** Parses one .npy file's bytes; `name` is what errors call it. */
export function parseNpy(bytes: Uint8Array, name: string): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error(`${name}: not a NumPy .npy file (no \\x93NUMPY magic)`);
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (major < 1 || major > 3) throw new Error(`${name}: .npy format version ${major} is not supported (1 to 3)`);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenBytes + headerLen;
  if (start > bytes.length) throw new Error(`${name}: truncated .npy header`);
  const header = Buffer.from(bytes.subarray(8 + lenBytes, start)).toString('latin1');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    throw new Error(`${name}: unreadable .npy header ${JSON.stringify(header.trim())}`);
  if (fortran === 'True') throw new Error(`${name}: a Fortran-order array is not supported; save it with np.ascontiguousarray(x)`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length)
    .map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`${name}: bad shape (${shapeText}) in the .npy header`);
  const order = descr[0];
  const info = DTYPES[descr.slice(1)];
  if (!info || !'<>|='.includes(order)) {
    throw new Error(`${name}: dtype ${descr} is not supported (samples: uint8, float32 or float64; labels: an integer type)`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (bytes.length - start !== count * info.bytes) {
    throw new Error(
      `${name}: wrong length: shape (${shape.join(', ')}) of ${descr} needs ${count * info.bytes} bytes of data, the file has ${bytes.length - start}`,
    );
  }
  const little = order !== '>';
  const values = info.make(count);
  if (descr === '|u1' || descr === '<u1' || descr === '|b1') (values as Uint8Array).set(bytes.subarray(start, start + count));
  else for (let i = 0; i < count; i++) values[i] = info.read(view, start + i * info.bytes, little);
  return { dtype: descr, shape, values };
}

/** Reads "file.npy", or "file.npz#key" (the archive's `key.npy`); `abs` is the value with its file made absolute. */
export function readNpyRef(abs: string): NpyArray {
  const { file, key } = splitNpzRef(abs);
  const bytes = readRegular(file);
  if (key === undefined) return parseNpy(bytes, file);
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, { filter: (f) => f.name === `${key}.npy` || f.name === key });
  } catch (e) {
    throw new Error(`${file}: not a readable .npz archive (${(e as Error).message})`, { cause: e });
  }
  const entry = entries[`${key}.npy`] ?? entries[key];
  if (!entry) throw new Error(`${file}: the archive has no array "${key}" (arrays: ${npzKeys(bytes).join(', ') || 'none'})`);
  return parseNpy(entry, `${file}#${key}`);
}

function npzKeys(bytes: Uint8Array): string[] {
  const names: string[] = [];
  try {
    unzipSync(bytes, { filter: (f) => (names.push(f.name.replace(/\.npy$/, '')), false) });
  } catch {
    // The names are only for the message.
  }
  return names;
}

function readRegular(file: string): Uint8Array {
  if (!fs.statSync(file).isFile()) throw new Error(`${file}: not a regular file`);
  return fs.readFileSync(file);
}

/** Samples as the engine holds them: uint8 stays uint8, other numbers become float32. */
export function samplesOf(a: NpyArray, name: string): Uint8Array | Float32Array {
  const kind = a.dtype.slice(1);
  if (kind === 'u1') return a.values as Uint8Array;
  if (kind === 'f4' || kind === 'f8') return a.values instanceof Float32Array ? a.values : Float32Array.from(a.values);
  throw new Error(`${name}: samples of dtype ${a.dtype} are not supported (uint8, float32 or float64)`);
}

/** Samples [N, H, W, C], [N, H, W] or [N, D], and integer labels [N]. */
export function loadNpyPair(xRef: string, yRef: string): ImageSet {
  const x = readNpyRef(xRef);
  const y = readNpyRef(yRef);
  const images = samplesOf(x, xRef);
  const s = x.shape;
  if (s.length < 2 || s.length > 4) throw new Error(`${xRef}: samples of shape (${s.join(', ')}): expected [N, H, W, C], [N, H, W] or [N, D]`);
  if (s.slice(1).some((d) => d < 1)) throw new Error(`${xRef}: samples of shape (${s.join(', ')}): every dimension but N must be at least 1`);
  if (y.shape.length !== 1 && !(y.shape.length === 2 && y.shape[1] === 1)) throw new Error(`${yRef}: labels of shape (${y.shape.join(', ')}): expected [N]`);
  if (!/^[<>|=][iub]/.test(y.dtype)) throw new Error(`${yRef}: labels of dtype ${y.dtype}: expected an integer type`);
  if (y.shape[0] !== s[0]) throw new Error(`${xRef} has ${s[0]} samples but ${yRef} has ${y.shape[0]} labels`);
  if (s[0] === 0) throw new Error(`${xRef}: the data set is empty`);
  const labels = classLabels(y.values, yRef);
  const [height, width, channels] = s.length === 2 ? [1, 1, s[1]] : [s[1], s[2], s[3] ?? 1];
  return { images, labels, count: s[0], height, width, channels };
}
