/**
 * Reopening a run folder to continue it from its last checkpoint (`distill resume <dir>`):
 * the resolved config comes from config.json, not from the kd.json (which may have been
 * edited since); the crashed or stopped summary is kept under attempts/; events.jsonl is cut
 * back to where the checkpoint was taken, so the curve continues without a gap or a
 * duplicate step.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KdConfig } from '../../protocol/config';
import type { ConfigIssue } from '../../protocol/loadConfig';
import { validateConfigValue } from '../../protocol/loadConfig';
import { FILES, readSummary } from '../../protocol/runFolder';
import { configWithoutBookkeeping } from '../../protocol/runMeta';
import { writeDurably } from '../models/modelFiles';
import { cleanTemporaryCheckpoints, latestCheckpoint, type CheckpointState } from './checkpoint';

export const STAGE_ORDER = ['teacher', 'assistant', 'distill', 'baseline'];

export interface ResumePoint {
  cfg: KdConfig;
  configPath: string;
  runId: string;
  dir: string;
  checkpoint: { dir: string; state: CheckpointState };
}

export class ResumeError extends Error {}

/** The order of checkpoint keys like `teacher-<id>`, `assistant-2`, `distill`, `baseline`. */
export function stageRank(key: string): number {
  return STAGE_ORDER.indexOf(key.split('-')[0]);
}

export function openForResume(runDir: string): ResumePoint | { issues: ConfigIssue[]; configPath: string } {
  const dir = path.resolve(runDir);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(fs.readFileSync(path.join(dir, FILES.config), 'utf8'));
  } catch (e) {
    throw new ResumeError(`${dir} is not a run folder with a readable config.json (${(e as Error).message})`);
  }
  const { $configPath } = raw;
  const config = configWithoutBookkeeping(raw);
  const configPath = typeof $configPath === 'string' ? $configPath : path.join(dir, FILES.config);
  const validated = validateConfigValue(config);
  if (!validated.ok) return { issues: validated.issues, configPath };
  const summary = readSummary(dir);
  if (summary?.status === 'done') throw new ResumeError(`${dir} already finished (status "done"); start a new run instead`);
  cleanTemporaryCheckpoints(dir);
  const checkpoint = latestCheckpoint(dir, STAGE_ORDER);
  if (!checkpoint) throw new ResumeError(`${dir} has no checkpoint yet (a run checkpoints after each epoch); start a new run instead`);
  return { cfg: validated.config, configPath, runId: path.basename(dir), dir, checkpoint };
}

/** Keeps the previous attempt's summary, and cuts the events back to the checkpoint. */
export function rewindRunFolder(point: ResumePoint): void {
  const { dir, checkpoint } = point;
  const summary = path.join(dir, FILES.summary);
  if (fs.existsSync(summary)) {
    const attempts = path.join(dir, 'attempts');
    fs.mkdirSync(attempts, { recursive: true });
    // Never onto an earlier attempt's summary (two rewinds within one millisecond share a stamp).
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    let kept = path.join(attempts, `summary-${stamp}.json`);
    for (let n = 2; fs.existsSync(kept); n++) kept = path.join(attempts, `summary-${stamp}-${n}.json`);
    fs.renameSync(summary, kept);
  }
  const events = path.join(dir, FILES.events);
  const bytes = fs.readFileSync(events);
  writeDurably(events, bytes.subarray(0, Math.min(bytes.length, checkpoint.state.eventsBytes)));
}
