/**
 * The name of a temporary file written beside `file` and then renamed over it. Host, pid and a
 * random suffix: tasks on several nodes of a cluster share a folder (a sweep's teacher cache,
 * the decode cache) and may share a pid, and two writers must never write one temporary file.
 */
import { randomBytes } from 'node:crypto';
import * as os from 'node:os';

export function tmpNameBeside(file: string): string {
  return `${file}.tmp-${os.hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
}
