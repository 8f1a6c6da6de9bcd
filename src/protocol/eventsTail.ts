/**
 * Reads a live events.jsonl incrementally: the Runs tree looks at every run folder several
 * times a second while it is visible, and re-parsing each whole file each time costs what the
 * files weigh (a long run's events.jsonl runs to megabytes). A tail remembers the byte offset
 * after the last whole line and the state folded from the lines before it, and reads only the
 * bytes appended since.
 *
 * It starts over when the file is not the one it read: another inode (replaced), shorter than
 * the offset (a resume cut it back to a checkpoint), or no line end just before the offset
 * (cut back and regrown past it). The result always equals folding parseEvents over the whole
 * file: a last line without its end (an engine mid-write, or a crash) is folded tentatively,
 * never committed, so that the bytes that complete it are read with it next time.
 */
import * as fs from 'node:fs';
import type { RunEvent } from './events';
import { parseEvents } from './runFolder';

export interface TailStat {
  size: number;
  ino: number;
  mtimeMs: number;
}

/** How a tail reaches the file (injected in tests, to count the bytes read). */
export interface TailIo {
  stat(file: string): TailStat | undefined;
  read(file: string, position: number, length: number): Buffer;
}

export const fsTailIo: TailIo = {
  stat(file) {
    try {
      const st = fs.statSync(file);
      return st.isFile() ? { size: st.size, ino: st.ino, mtimeMs: st.mtimeMs } : undefined;
    } catch {
      return undefined;
    }
  },
  read(file, position, length) {
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(length);
      let got = 0;
      while (got < length) {
        const n = fs.readSync(fd, buf, got, length - got, position + got);
        if (n === 0) break;
        got += n;
      }
      return buf.subarray(0, got);
    } finally {
      fs.closeSync(fd);
    }
  },
};

export interface TailRead<S> {
  state: S;
  /** Lines that were not events (torn or garbage), as parseEvents counts them. */
  skipped: number;
  /** undefined: there is no events file (yet). */
  mtimeMs?: number;
}

const NEWLINE = 10;

/** `fold` must not change the state it is given (a torn last line is folded tentatively). */
export class EventsTail<S> {
  private offset = 0;
  private ino: number | undefined;
  private state: S;
  private skipped = 0;
  /** The unfinished last line as of the last read, by file size: not re-read while the size holds. */
  private pending: { size: number; bytes: Buffer } | undefined;

  constructor(
    readonly file: string,
    private readonly initial: S,
    private readonly fold: (state: S, event: RunEvent) => S,
    private readonly io: TailIo = fsTailIo,
  ) {
    this.state = initial;
  }

  read(): TailRead<S> {
    const st = this.io.stat(this.file);
    if (!st) {
      this.reset(undefined);
      return { state: this.initial, skipped: 0 };
    }
    if (st.ino !== this.ino || st.size < this.offset || (this.offset > 0 && this.io.read(this.file, this.offset - 1, 1)[0] !== NEWLINE)) this.reset(st.ino);
    let tail: Buffer;
    if (this.pending?.size === st.size) tail = this.pending.bytes;
    else {
      const bytes = st.size > this.offset ? this.io.read(this.file, this.offset, st.size - this.offset) : Buffer.alloc(0);
      const end = bytes.lastIndexOf(NEWLINE) + 1;
      if (end > 0) this.commit(bytes.subarray(0, end));
      tail = bytes.subarray(end);
      this.pending = { size: st.size, bytes: tail };
    }
    const torn = parseEvents(tail.toString('utf8'));
    return { state: torn.events.reduce(this.fold, this.state), skipped: this.skipped + torn.skipped, mtimeMs: st.mtimeMs };
  }

  private commit(lines: Buffer): void {
    // Whole lines only: a '\n' byte never occurs inside a UTF-8 sequence, so the text decodes whole.
    const { events, skipped } = parseEvents(lines.toString('utf8'));
    this.state = events.reduce(this.fold, this.state);
    this.skipped += skipped;
    this.offset += lines.length;
  }

  private reset(ino: number | undefined): void {
    this.offset = 0;
    this.ino = ino;
    this.state = this.initial;
    this.skipped = 0;
    this.pending = undefined;
  }
}
