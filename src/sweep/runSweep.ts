/**
 * Runs a sweep: `parallel` engine workers (`dist/engine.js --worker`), each taking trials off
 * the queue one after another. A trial is the run a single engine would do, in the same run
 * folder format, but the worker's Node, tfjs and wasm backend start once, and what trials
 * share (the data, the teacher, its logits and test accuracy) is loaded once per worker. A
 * worker that crashes fails its trial (with its stderr tail) and a fresh one takes the next;
 * so does one whose trial ended any other way than done.
 *
 * The teacher runs once: if it has to be trained, the first baseline trial trains and saves
 * it before any other trial starts; its logits land in the shared on-disk cache, which every
 * later trial (and a later sweep) reads. sweep.json is rewritten atomically on every change,
 * so a reader always sees a whole file.
 *
 * A seeded run (`seeds` in the options: `distill run --seeds N`, kd.json `seeds`) is the same
 * machinery with nothing swept: per seed a distilled trial and its baseline, ranked by test
 * accuracy (what a single run's verdict compares), the kd.json's sweep block ignored.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { EngineWorker } from '../client/engineWorker';
import type { KdConfig, SweepSpec } from '../protocol/config';
import type { EngineLaunch } from '../protocol/engineArgs';
import type { EngineMessage, RunSummary } from '../protocol/events';
import type { ConfigIssue } from '../protocol/loadConfig';
import { loadConfigFile } from '../protocol/loadConfig';
import { DISTILLERY_DIR } from '../protocol/runFolder';
import { createRunDir } from '../protocol/runId';
import { checkSweepPaths, expandValues, grid, METRIC_LABELS, summarizeSweep, sweepSeeds, sweepsRootFor, SWEEP_FILES, SWEEP_FORMAT, type SweepFile, type SweepTrial } from '../protocol/sweep';
import { deriveTrialConfig, needsTeacherTraining } from './derive';

export const CACHE_DIR_ENV = 'DISTILLERY_CACHE_DIR';

export interface SweepOptions {
  configPath: string;
  /** dist/engine.js */
  enginePath: string;
  /** How its engine workers start, as a single run's engine does: the extension's launch policy, or the CLI's flags (default: this Node, no flags). */
  launch?: EngineLaunch;
  parallel?: number;
  sweepsRoot?: string;
  /** A seeded run over these seeds instead of the kd.json's sweep block. */
  seeds?: number[];
  onUpdate?: (s: SweepFile, change: SweepChange) => void;
}

export type SweepChange =
  | { type: 'started' }
  | { type: 'trial_started'; trial: SweepTrial }
  | { type: 'trial_finished'; trial: SweepTrial }
  | { type: 'note'; message: string }
  | { type: 'finished' };

export type SweepOutcome = { ok: true; sweep: SweepFile; dir: string } | { ok: false; issues: ConfigIssue[] };

export class Sweep {
  private stopped = false;
  private readonly workers = new Set<EngineWorker>();

  constructor(private readonly o: SweepOptions) {}

  /** Stops running trials after their current step and starts no more. */
  stop(): void {
    this.stopped = true;
    for (const w of this.workers) void w.stop(10_000);
  }

  /** Kills every engine worker now and starts no more trials (the sweep's owner is going away). */
  dispose(): void {
    this.stopped = true;
    for (const w of this.workers) w.dispose();
  }

  async run(): Promise<SweepOutcome> {
    const configPath = path.resolve(this.o.configPath);
    const baseDir = path.dirname(configPath);
    const loaded = loadConfigFile(configPath, { workspaceRoot: this.o.launch?.workspaceRoot });
    if (!loaded.ok) return { ok: false, issues: loaded.issues };
    const cfg = loaded.config;
    const spec: SweepSpec | undefined = this.o.seeds ? { params: {}, seeds: this.o.seeds, metric: 'testAccuracy' } : cfg.sweep;
    if (!spec) return { ok: false, issues: [{ path: ['sweep'], message: 'this kd.json has no "sweep" block, e.g. "sweep": { "params": { "distillation.temperature": [1, 2, 4, 8] } }' }] };
    const pathIssues = checkSweepPaths(cfg, spec);
    if (pathIssues.length) return { ok: false, issues: pathIssues };

    const params = Object.entries(spec.params).map(([p, v]) => ({ path: p, values: expandValues(v) }));
    const seeds = sweepSeeds(cfg, spec);
    const epochs = spec.epochs ?? cfg.training.epochs;
    const parallel = Math.max(1, this.o.parallel ?? spec.parallel ?? os.availableParallelism());
    const name = cfg.name ?? path.basename(baseDir);

    // Every trial's config, checked before anything runs or any folder appears.
    const planned: { trial: Omit<SweepTrial, 'runDir' | 'configFile' | 'status'>; config: Record<string, unknown> }[] = [];
    const issues: ConfigIssue[] = [];
    const short = (p: string) => p.split('.').pop()!.replace('temperature', 'T').replace('alpha', 'a');
    for (const seed of seeds) {
      const d = deriveTrialConfig(cfg, baseDir, { params: {}, seed, epochs, name: `${name} baseline s${seed}`, baseline: true });
      issues.push(...d.issues);
      if (d.config) planned.push({ trial: { id: `baseline-s${seed}`, kind: 'baseline', params: {}, seed }, config: d.config });
    }
    grid(params).forEach((combo, i) => {
      for (const seed of seeds) {
        const values = Object.entries(combo).map(([k, v]) => `${short(k)}${v}`).join('-');
        const id = (values ? `t${String(i + 1).padStart(2, '0')}-${values}-s${seed}` : `distill-s${seed}`).replace(/[^A-Za-z0-9_.-]/g, '_');
        const d = deriveTrialConfig(cfg, baseDir, { params: combo, seed, epochs, name: `${name} ${id}`, baseline: false });
        issues.push(...d.issues);
        if (d.config) planned.push({ trial: { id, kind: 'distill', params: combo, seed }, config: d.config });
      }
    });
    if (issues.length) return { ok: false, issues: dedupe(issues) };

    const { id: sweepId, dir } = createRunDir(this.o.sweepsRoot ?? sweepsRootFor(configPath), this.o.seeds ? `${name} seeds` : name);
    fs.mkdirSync(path.join(dir, SWEEP_FILES.configs));
    fs.mkdirSync(path.join(dir, SWEEP_FILES.trials));
    const cacheDir = path.join(baseDir, DISTILLERY_DIR, 'cache');
    const started = new Date();
    const sweep: SweepFile = {
      format: SWEEP_FORMAT,
      sweepId,
      name,
      configPath,
      status: 'running',
      startedAt: started.toISOString(),
      metric: spec.metric,
      metricLabel: METRIC_LABELS[spec.metric],
      params,
      seeds,
      epochs,
      parallel,
      trials: [],
      aggregates: [],
      teacherCache: { dir: cacheDir, hits: 0, computed: 0 },
      notes: [],
    };
    for (const p of planned) {
      const configFile = path.join(SWEEP_FILES.configs, `${p.trial.id}.kd.json`);
      fs.writeFileSync(path.join(dir, configFile), JSON.stringify(p.config, null, 2) + '\n');
      sweep.trials.push({ ...p.trial, configFile, runDir: path.join(SWEEP_FILES.trials, p.trial.id), status: 'queued' });
    }
    const save = (change: SweepChange) => {
      summarizeSweep(sweep);
      writeFileAtomic.sync(path.join(dir, SWEEP_FILES.sweep), JSON.stringify(sweep, null, 2) + '\n');
      this.o.onUpdate?.(sweep, change);
    };
    const note = (message: string) => {
      sweep.notes.push(message);
      save({ type: 'note', message });
    };
    save({ type: 'started' });

    const queue = [...sweep.trials];
    const spawn = () => this.spawnWorker(cacheDir);
    // Every lane's worker starts now: tfjs loads in them while the first trial runs.
    const lanes = Math.min(parallel, queue.length);
    const workers: (EngineWorker | undefined)[] = Array.from({ length: lanes }, spawn);
    try {
      if (needsTeacherTraining(cfg, baseDir)) {
        note(`the teacher has no saved weights yet: trial ${queue[0].id} trains it first, alone; every other trial then loads it`);
        workers[0] = await this.runTrial(sweep, queue.shift()!, dir, save, workers[0]!, spawn);
      }
      // The first trial computes the teacher's logits (or finds them cached); the other lanes
      // start theirs once it has, so no two trials compute the same cache entry side by side.
      let teacherReady!: () => void;
      const ready = new Promise<void>((resolve) => (teacherReady = resolve));
      const lane = async (w: number) => {
        if (w > 0) await ready;
        for (let t = queue.shift(); t; t = queue.shift()) workers[w] = await this.runTrial(sweep, t, dir, save, workers[w], spawn, teacherReady);
        await workers[w]?.close();
      };
      await Promise.all(Array.from({ length: lanes }, (_, w) => lane(w)));
      // Retired workers too: none outlives the sweep.
      await Promise.all([...this.workers].map((w) => w.close()));
    } finally {
      for (const w of workers) void w?.close();
    }

    const { hits, computed } = sweep.teacherCache;
    if (hits) note(`teacher logits: ${hits} trial${hits > 1 ? 's' : ''} reused the on-disk cache in ${cacheDir}${computed ? `; ${computed} computed it` : ' (a cache from an earlier run or sweep with the same teacher and data)'}`);
    const ended = new Date();
    sweep.endedAt = ended.toISOString();
    sweep.durationSec = (ended.getTime() - started.getTime()) / 1000;
    sweep.status = this.stopped ? 'stopped' : sweep.trials.every((t) => t.status === 'done') ? 'done' : 'failed';
    save({ type: 'finished' });
    return { ok: true, sweep, dir };
  }

  private spawnWorker(cacheDir: string): EngineWorker {
    const w = new EngineWorker({ enginePath: this.o.enginePath, launch: this.o.launch ?? {}, env: { [CACHE_DIR_ENV]: cacheDir } });
    this.workers.add(w);
    void w.engine.exited.then(() => this.workers.delete(w));
    return w;
  }

  /**
   * Runs one trial on `worker` (a fresh one from `spawn` when it is gone) and returns the worker
   * for the lane's next trial: none after a trial that did not end done (it is closed).
   */
  private async runTrial(sweep: SweepFile, trial: SweepTrial, dir: string, save: (c: SweepChange) => void, worker: EngineWorker | undefined, spawn: () => EngineWorker, teacherReady?: () => void): Promise<EngineWorker | undefined> {
    if (this.stopped) {
      trial.status = 'stopped';
      save({ type: 'trial_finished', trial });
      return worker;
    }
    if (!worker?.alive) worker = spawn();
    trial.status = 'running';
    save({ type: 'trial_started', trial });
    let summary: RunSummary | undefined;
    let configIssues: ConfigIssue[] | undefined;
    const outcome = await worker.run({ kind: 'run', configPath: path.join(dir, trial.configFile), runDir: path.join(dir, trial.runDir) }, (m: EngineMessage) => {
      if (m.type === 'run_finished') summary = m.summary;
      else if (m.type === 'config_error') configIssues = m.issues;
      else trial.teacherLogits = trialTeacherLogits(trial.teacherLogits, m);
      if (trial.teacherLogits) teacherReady?.();
    });
    teacherReady?.();
    if (trial.teacherLogits === 'cache-hit') sweep.teacherCache.hits++;
    if (trial.teacherLogits === 'computed') sweep.teacherCache.computed++;
    if (summary) {
      trial.durationSec = summary.durationSec;
      trial.valAccuracy = summary.student?.valAccuracy;
      trial.testAccuracy = summary.student?.testAccuracy;
      trial.metric = sweep.metric === 'valAccuracy' ? trial.valAccuracy : trial.testAccuracy;
      trial.status = summary.status === 'done' ? 'done' : summary.status === 'stopped' ? 'stopped' : 'failed';
      if (summary.error) trial.error = summary.error;
    } else {
      trial.status = this.stopped ? 'stopped' : 'failed';
      const exit = outcome.ended ? undefined : outcome.exit;
      trial.error = configIssues
        ? configIssues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
        : outcome.failure
          ? `engine failed: ${outcome.failure}`
          : `engine exited (${exit ? (exit.signal ?? exit.code) : `code ${(outcome as { code: number }).code}`}) without a result: ${(exit?.stderrTail ?? '').trim().split('\n').slice(-3).join(' / ')}`;
    }
    save({ type: 'trial_finished', trial });
    // Only a worker whose trial ended cleanly goes on: after anything else its state is suspect.
    if (outcome.ended && summary?.status === 'done') return worker;
    void worker.close();
    return undefined;
  }
}

/**
 * What a trial's messages say about its teacher logits, from the typed `teacher_logits` event
 * only (never from log text): a cache hit or a computation is what the trial did with the
 * cache; `live` counts only when nothing else was said.
 */
export function trialTeacherLogits(current: SweepTrial['teacherLogits'], m: EngineMessage): SweepTrial['teacherLogits'] {
  if (m.type !== 'teacher_logits') return current;
  return m.source === 'live' ? (current ?? 'live') : m.source;
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = i.path.join('.') + i.message;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export type { KdConfig };
