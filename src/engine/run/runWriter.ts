/**
 * Writes one run folder. events.jsonl is append-only, one whole line per write, so a reader
 * sees at most a torn last line after a crash; summary.json and config.json are written
 * atomically (temporary name, fsync, rename), so they are either absent or complete.
 *
 * A write that fails (a full disk, a read-only or vanished folder) throws a RunWriteError
 * naming the file; the run then fails. After that, events still reach the listeners (the
 * parent over IPC) but nothing more is appended, so the lines already written stay whole.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { EventInput, RunEvent } from '../../protocol/events';
import { FILES } from '../../protocol/runFolder';

export class RunWriteError extends Error {
  constructor(file: string, cause: unknown) {
    super(`cannot write ${file}: ${(cause as Error).message ?? cause}`);
    this.name = 'RunWriteError';
  }
}

/** Writes every byte or throws: a short write (a disk filling up) is retried for the rest. */
function writeAll(fd: number, data: Buffer): void {
  let off = 0;
  while (off < data.length) {
    const n = fs.writeSync(fd, data, off, data.length - off);
    if (n <= 0) throw Object.assign(new Error('no bytes written (no space left on device?)'), { code: 'ENOSPC' });
    off += n;
  }
}

/** True for an empty file, or one whose last byte is a newline. */
function endsWithNewline(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    if (!size) return true;
    const last = Buffer.alloc(1);
    fs.readSync(fd, last, 0, 1, size - 1);
    return last[0] === 10;
  } finally {
    fs.closeSync(fd);
  }
}

export class RunWriter {
  /** The first failed write; events are no longer appended after it. */
  writeFailure: RunWriteError | undefined;
  private readonly eventsFd: number;
  private listeners: ((e: RunEvent) => void)[] = [];

  constructor(readonly dir: string) {
    const file = path.join(dir, FILES.events);
    this.eventsFd = fs.openSync(file, 'a');
    // A file that ends mid-line (a crash mid-write, garbage appended) would glue the next event
    // onto that tail, and readers would skip both: start a new line first.
    if (!endsWithNewline(file)) writeAll(this.eventsFd, Buffer.from('\n'));
  }

  onEvent(listener: (e: RunEvent) => void): void {
    this.listeners.push(listener);
  }

  emit(input: EventInput): RunEvent {
    const event = { time: new Date().toISOString(), ...input } as RunEvent;
    let failed: RunWriteError | undefined;
    if (!this.writeFailure) {
      try {
        writeAll(this.eventsFd, Buffer.from(JSON.stringify(event) + '\n'));
      } catch (e) {
        failed = this.writeFailure = new RunWriteError(path.join(this.dir, FILES.events), e);
      }
    }
    for (const l of this.listeners) l(event);
    if (failed) throw failed;
    return event;
  }

  /** Bytes in events.jsonl so far: a checkpoint records it, a resume cuts back to it. */
  eventsBytes(): number {
    return fs.fstatSync(this.eventsFd).size;
  }

  writeJson(name: string, value: unknown): void {
    const file = path.join(this.dir, name);
    try {
      writeFileAtomic.sync(file, JSON.stringify(value, null, 2) + '\n');
    } catch (e) {
      throw new RunWriteError(file, e);
    }
  }

  close(): void {
    try {
      fs.fsyncSync(this.eventsFd);
    } catch {
      // A disk that failed a write may fail the flush too; the failure is already reported.
    }
    fs.closeSync(this.eventsFd);
  }
}
