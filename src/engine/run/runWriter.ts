/**
 * Writes one run folder. events.jsonl is append-only, one whole line per write, so a reader
 * sees at most a torn last line after a crash; summary.json and config.json are written
 * atomically (temporary name, fsync, rename), so they are either absent or complete.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { EventInput, RunEvent } from '../../protocol/events';
import { FILES } from '../../protocol/runFolder';

export class RunWriter {
  private readonly eventsFd: number;
  private listeners: ((e: RunEvent) => void)[] = [];

  constructor(readonly dir: string) {
    this.eventsFd = fs.openSync(path.join(dir, FILES.events), 'a');
  }

  onEvent(listener: (e: RunEvent) => void): void {
    this.listeners.push(listener);
  }

  emit(input: EventInput): RunEvent {
    const event = { time: new Date().toISOString(), ...input } as RunEvent;
    fs.writeSync(this.eventsFd, JSON.stringify(event) + '\n');
    for (const l of this.listeners) l(event);
    return event;
  }

  /** Bytes in events.jsonl so far: a checkpoint records it, a resume cuts back to it. */
  eventsBytes(): number {
    return fs.fstatSync(this.eventsFd).size;
  }

  writeJson(name: string, value: unknown): void {
    writeFileAtomic.sync(path.join(this.dir, name), JSON.stringify(value, null, 2) + '\n');
  }

  close(): void {
    fs.fsyncSync(this.eventsFd);
    fs.closeSync(this.eventsFd);
  }
}
