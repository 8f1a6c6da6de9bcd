// The .vsix budget (issue 17): at most 10 MB and 150 files for the extension itself; a platform
// package may carry its native binaries on top, and both parts are reported.
import * as fs from 'node:fs';

export const BUDGET = { bytes: 10 * 1024 * 1024, files: 150 };
/** Where a platform package keeps its native modules inside the .vsix. */
export const NATIVE_PREFIX = 'extension/dist/node_modules/';

/** Every entry of a zip file with its compressed and uncompressed size, from the central directory. */
export function zipEntries(file) {
  const buf = fs.readFileSync(file);
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error(`${file} is not a zip file (no end of central directory)`);
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const entries = [];
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) throw new Error(`${file}: central directory entry ${i} is corrupt`);
    const compressed = buf.readUInt32LE(at + 20);
    const size = buf.readUInt32LE(at + 24);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    const name = buf.toString('utf8', at + 46, at + 46 + nameLen);
    if (!name.endsWith('/')) entries.push({ name, compressed, size });
    at += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** The .vsix's size and file count, split into the extension and its native modules. */
export function measureVsix(vsix) {
  const entries = zipEntries(vsix);
  const native = entries.filter((e) => e.name.startsWith(NATIVE_PREFIX));
  const nativeCompressed = native.reduce((s, e) => s + e.compressed, 0);
  const bytes = fs.statSync(vsix).size;
  return {
    bytes,
    files: entries.length,
    extension: { bytes: bytes - nativeCompressed, files: entries.length - native.length },
    native: { bytes: nativeCompressed, files: native.length },
    largest: [...entries].sort((a, b) => b.compressed - a.compressed).slice(0, 5),
  };
}

const mb = (b) => `${(b / 1024 / 1024).toFixed(2)} MB`;

/** Checks a measured .vsix against the budget; `lines` say what it holds and whether it fits. */
export function checkBudget(m) {
  const ok = m.extension.bytes <= BUDGET.bytes && m.extension.files <= BUDGET.files;
  const lines = [
    `${m.vsix}: ${mb(m.bytes)}, ${m.files} files`,
    `  extension: ${mb(m.extension.bytes)}, ${m.extension.files} files (budget ${mb(BUDGET.bytes)}, ${BUDGET.files} files): ${ok ? 'within budget' : 'OVER BUDGET'}`,
  ];
  if (m.native.files) lines.push(`  native modules for ${m.target}: ${mb(m.native.bytes)} compressed, ${m.native.files} files`);
  if (!ok) lines.push(`  largest entries: ${m.largest.map((e) => `${e.name} ${mb(e.compressed)}`).join(', ')}`);
  return { ok, lines };
}
