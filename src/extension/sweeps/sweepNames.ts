/**
 * What a sweep is called before its sweep.json exists (the progress notification is titled
 * before the plan is made): kd.json's "name", which the plan names the sweep after, else the
 * kd.json's file name. Never the folder's name: a kd.json in a folder called "sweep" made the
 * title "sweep: sweep", and every kd.json of one folder had the same one. No vscode import.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'jsonc-parser';

/** kd.json's "name", or its file name when it has none or cannot be read (the sweep then says why it cannot start). */
export function sweepNameOf(kdJsonPath: string): string {
  let name: unknown;
  try {
    name = (parse(fs.readFileSync(kdJsonPath, 'utf8')) as { name?: unknown } | undefined)?.name;
  } catch {
    name = undefined;
  }
  return typeof name === 'string' && name.trim() ? name : path.basename(kdJsonPath);
}

/** The progress notification's title: "Sweep live-temps", "Seeded run mnist (3 seeds)". */
export function sweepProgressTitle(kdJsonPath: string, seeds?: readonly number[]): string {
  const name = sweepNameOf(kdJsonPath);
  return seeds ? `Seeded run ${name} (${seeds.length} seeds)` : `Sweep ${name}`;
}
