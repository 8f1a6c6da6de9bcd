/**
 * sharp (image folders) and onnxruntime-node (ONNX teachers, ONNX export) are native packages
 * the universal .vsix does not carry: a per-platform package does, and the CLI's install takes
 * them as optional peers. Missing, they are said as such — what needs them and how to get them —
 * instead of Node's "Cannot find module … Require stack" filed under some kd.json key.
 */
export class MissingNativeError extends Error {}

export function requireOptionalNative<T>(pkg: 'sharp' | 'onnxruntime-node', what: string, subpath = ''): T {
  try {
    return require(`${pkg}${subpath}`) as T;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code !== 'MODULE_NOT_FOUND' || !err.message.includes(pkg)) throw e;
    throw new MissingNativeError(
      `${what} need ${pkg}, which is not installed where the engine runs: install the Distillery package built for this platform ` +
        `(npm run package -- --target ${process.platform}-${process.arch}), or \`npm install ${pkg}\` beside the distill CLI`,
      { cause: e },
    );
  }
}
