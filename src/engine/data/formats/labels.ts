/** Class numbers as the engine holds them (one byte each): every label an integer 0–255, or the file is named. */
export function classLabels(values: ArrayLike<number>, name: string): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < 0 || v > 255) throw new Error(`${name}: label ${v} at index ${i} is not a class number 0–255`);
    out[i] = v;
  }
  return out;
}
