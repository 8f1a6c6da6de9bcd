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
 * Which trials there are, with their configs, is planSweep's (plan.ts, pure); this class
 * writes the sweep folder and schedules the plan. A seeded run (`seeds` in the options:
 * `distill run --seeds N`, kd.json `seeds`) is the same machinery with nothing swept.
 *
 * Its owner stops it (`stop`: after the trials' current step) or disposes of it (`dispose`:
 * the owner is going away): sweep.json says "stopped" at once, the workers are asked to stop
 * and killed after a grace period. sweep.json names its owner process, so a reader can tell a
 * sweep whose process is gone from one still running (readSweep).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { EngineWorker } from '../client/engineWorker';
import { threadsPerRun } from '../protocol/threads';
import type { EngineLaunch } from '../protocol/engineArgs';
import type { EngineMessage, RunSummary } from '../protocol/events';
import type { ConfigIssue } from '../protocol/loadConfig';
import { issueText, loadConfigFile } from '../protocol/loadConfig';
import { createRunDir } from '../protocol/runId';
import { processStartOf } from '../protocol/runStatus';
import type { SweepExecutorSpec } from '../protocol/config';
import {
  METRIC_LABELS,
  summarizeSweep,
  sweepsRootFor,
  SWEEP_FILES,
  SWEEP_FORMAT,
  type SlurmSweepRecord,
  type SweepFile,
  type SweepTrial,
} from '../protocol/sweep';
import { CACHE_DIR_ENV, defaultCacheDir } from '../protocol/teacherCacheDir';
import { planSweep } from './plan';
import { runCommand } from './slurm/scheduler';
import { slurmRecord, submitSweep } from './slurm/submit';

/** How long `dispose` lets workers stop (their trials write a "stopped" summary) before killing them. */
export const DISPOSE_GRACE_MS = 3000;

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
  /** Where the trials run, over kd.json's sweep.executor: engine workers here (default), or a Slurm job array (submitted, not waited for). */
  executor?: SweepExecutorSpec;
  onUpdate?: (s: SweepFile, change: SweepChange) => void;
}

export type SweepChange =
  /** `dir`: the sweep folder. */
  | { type: 'started'; dir: string }
  | { type: 'trial_started'; trial: SweepTrial }
  | { type: 'trial_finished'; trial: SweepTrial }
  | { type: 'note'; message: string }
  | { type: 'finished' };

export type SweepOutcome = { ok: true; sweep: SweepFile; dir: string } | { ok: false; issues: ConfigIssue[] };

/** What every trial of one running sweep shares. */
interface TrialContext {
  sweep: SweepFile;
  /** The sweep folder. */
  dir: string;
  /** Recomputes the statistics, rewrites sweep.json and tells the owner. */
  save: (change: SweepChange) => void;
  /** A fresh engine worker (for a lane whose worker is gone). */
  spawn: () => EngineWorker;
  /** Called once the first trial has its teacher logits: the other lanes then start. */
  teacherReady?: () => void;
}

export class Sweep {
  private stopped = false;
  private readonly workers = new Set<EngineWorker>();
  /** The sweep being run, once its folder exists. */
  private active: TrialContext | undefined;

  constructor(private readonly o: SweepOptions) {}

  /** Stops running trials after their current step and starts no more. */
  stop(): void {
    this.stopped = true;
    for (const w of this.workers) void w.stop(10_000);
  }

  /**
   * The owner is going away: sweep.json says "stopped" now (its unfinished trials too), every
   * worker is asked to stop and killed if not gone after `graceMs` (at once with 0). Resolves
   * once every worker has exited.
   */
  async dispose(graceMs = DISPOSE_GRACE_MS): Promise<void> {
    this.stopped = true;
    const a = this.active;
    if (a && a.sweep.status === 'running') {
      for (const t of a.sweep.trials) if (t.status === 'queued' || t.status === 'running') t.status = 'stopped';
      finish(a.sweep, 'stopped');
      writeSweepFile(a.dir, a.sweep);
    }
    await Promise.all(
      [...this.workers].map((w) => {
        if (graceMs > 0) return w.stop(graceMs);
        w.dispose();
        return w.engine.exited;
      }),
    );
  }

  async run(): Promise<SweepOutcome> {
    const configPath = path.resolve(this.o.configPath);
    const loaded = loadConfigFile(configPath, { workspaceRoot: this.o.launch?.workspaceRoot });
    if (!loaded.ok) return { ok: false, issues: loaded.issues };
    const planned = planSweep(loaded.config, configPath, { seeds: this.o.seeds, parallel: this.o.parallel });
    if (!planned.ok) return planned;
    const plan = planned.plan;
    const executor = this.o.executor ?? (this.o.seeds ? undefined : loaded.config.sweep?.executor);
    const slurm = executor?.type === 'slurm' ? executor : undefined;

    const { id: sweepId, dir } = createRunDir(this.o.sweepsRoot ?? sweepsRootFor(configPath), this.o.seeds ? `${plan.name} seeds` : plan.name);
    fs.mkdirSync(path.join(dir, SWEEP_FILES.configs));
    fs.mkdirSync(path.join(dir, SWEEP_FILES.trials));
    const cacheDir = defaultCacheDir(configPath);
    const sweep: SweepFile = {
      format: SWEEP_FORMAT,
      sweepId,
      name: plan.name,
      configPath,
      status: 'running',
      startedAt: new Date().toISOString(),
      // A Slurm sweep runs on the cluster, not in this process: its state is the scheduler's (slurm/follow.ts).
      ...(slurm ? {} : { owner: ownerProcess() }),
      metric: plan.metric,
      metricLabel: METRIC_LABELS[plan.metric],
      params: plan.params,
      seeds: plan.seeds,
      epochs: plan.epochs,
      parallel: slurm ? (slurm.maxParallel ?? plan.trials.length) : plan.parallel,
      baselineStart: plan.baselineStart,
      trials: [],
      aggregates: [],
      teacherCache: { dir: cacheDir, hits: 0, computed: 0 },
      notes: [],
      ...(slurm ? { executor: slurmRecord(slurm) } : {}),
    };
    for (const p of plan.trials) {
      const configFile = path.join(SWEEP_FILES.configs, `${p.trial.id}.kd.json`);
      fs.writeFileSync(path.join(dir, configFile), JSON.stringify(p.config, null, 2) + '\n');
      sweep.trials.push({ ...p.trial, configFile, runDir: path.join(SWEEP_FILES.trials, p.trial.id), status: 'queued' });
    }
    const save = (change: SweepChange) => {
      summarizeSweep(sweep);
      writeSweepFile(dir, sweep);
      this.o.onUpdate?.(sweep, change);
    };
    const note = (message: string) => {
      sweep.notes.push(message);
      save({ type: 'note', message });
    };
    if (sweep.executor) {
      save({ type: 'started', dir });
      return this.submit(sweep as SweepFile & { executor: SlurmSweepRecord }, dir, plan.teacherTrains, save);
    }
    const ctx: TrialContext = { sweep, dir, save, spawn: () => this.spawnWorker(cacheDir) };
    this.active = ctx;
    save({ type: 'started', dir });

    const queue = [...sweep.trials];
    // Every lane's worker starts now: tfjs loads in them while the first trial runs.
    const lanes = Math.min(plan.parallel, queue.length);
    const workers: (EngineWorker | undefined)[] = this.stopped ? [] : Array.from({ length: lanes }, ctx.spawn);
    try {
      if (plan.teacherTrains && !this.stopped) {
        note(`the teacher has no saved weights yet: trial ${queue[0].id} trains it first, alone; every other trial then loads it`);
        // Alone on the machine, it gets a run's whole share of the cores (protocol/threads.ts).
        workers[0] = await this.runTrial(ctx, queue.shift()!, workers[0], this.o.launch?.threads ?? threadsPerRun(1));
      }
      // The first trial computes the teacher's logits (or finds them cached); the other lanes
      // start theirs once it has, so no two trials compute the same cache entry side by side.
      const ready = new Promise<void>((resolve) => (ctx.teacherReady = resolve));
      const lane = async (w: number) => {
        if (w > 0) await ready;
        for (let t = queue.shift(); t; t = queue.shift()) workers[w] = await this.runTrial(ctx, t, workers[w], this.o.launch?.threads ?? threadsPerRun(lanes));
        // A stopped sweep's first lane may end without running a trial: the others must not wait on it.
        if (w === 0) ctx.teacherReady?.();
        await workers[w]?.close();
      };
      await Promise.all(Array.from({ length: lanes }, (_, w) => lane(w)));
      // Retired workers too: none outlives the sweep.
      await Promise.all([...this.workers].map((w) => w.close()));
    } catch (e) {
      // Whatever broke (a full disk under sweep.json, a worker that could not start), sweep.json
      // must not go on saying "running": it says failed, and why, as far as it can be written.
      this.stop();
      for (const t of sweep.trials) if (t.status === 'queued' || t.status === 'running') t.status = 'stopped';
      sweep.notes.push(`the sweep failed: ${(e as Error)?.message ?? e}`);
      finish(sweep, 'failed');
      try {
        save({ type: 'finished' });
      } catch {
        // The disk itself may be what failed; the error below says so.
      }
      this.active = undefined;
      throw e;
    } finally {
      for (const w of workers) void w?.close();
    }

    const { hits, computed } = sweep.teacherCache;
    if (hits)
      note(
        `teacher logits: ${hits} trial${hits > 1 ? 's' : ''} reused the on-disk cache in ${cacheDir}${computed ? `; ${computed} computed it` : ' (a cache from an earlier run or sweep with the same teacher and data)'}`,
      );
    finish(sweep, this.stopped ? 'stopped' : sweep.trials.every((t) => t.status === 'done') ? 'done' : 'failed');
    save({ type: 'finished' });
    this.active = undefined;
    return { ok: true, sweep, dir };
  }

  /** A Slurm sweep: its jobs submitted and recorded in sweep.json; the outcome is the running sweep (slurm/follow.ts follows it). */
  private async submit(
    sweep: SweepFile & { executor: SlurmSweepRecord },
    dir: string,
    teacherTrains: boolean,
    save: (c: SweepChange) => void,
  ): Promise<SweepOutcome> {
    const launch = this.o.launch ?? {};
    const saved = () => save({ type: 'note', message: 'submitted' });
    try {
      await submitSweep(
        sweep,
        dir,
        { cliPath: path.join(path.dirname(this.o.enginePath), 'cli.js'), nodePath: launch.execPath, backend: launch.backend },
        saved,
      );
    } catch (e) {
      // Whatever was submitted is cancelled: a half-submitted sweep would run trials nobody follows.
      const ids = [sweep.executor.jobs.first?.jobId, sweep.executor.jobs.array?.jobId].filter((j): j is string => !!j);
      if (ids.length) await runCommand('scancel', ids);
      for (const t of sweep.trials) t.status = 'stopped';
      sweep.notes.push(`the sweep could not be submitted: ${(e as Error).message}`);
      finish(sweep, 'failed');
      save({ type: 'finished' });
      throw e;
    }
    const { first, array } = sweep.executor.jobs;
    const firstTrial = first ? sweep.trials[first.trialIndex].id : undefined;
    sweep.notes.push(
      `submitted to Slurm: ${first ? `job ${first.jobId} (${firstTrial}: ${teacherTrains ? 'trains the teacher' : "the teacher's logits, or the cache's"})` : ''}${first && array ? ', then ' : ''}${array ? `array ${array.jobId} (${array.trialIndices.length} trials${first ? `, after ${first.jobId}` : ''})` : ''}`,
    );
    save({ type: 'note', message: sweep.notes[sweep.notes.length - 1] });
    return { ok: true, sweep, dir };
  }

  private spawnWorker(cacheDir: string): EngineWorker {
    const w = new EngineWorker({ enginePath: this.o.enginePath, launch: this.o.launch ?? {}, env: { [CACHE_DIR_ENV]: cacheDir } });
    this.workers.add(w);
    void w.engine.exited.then(() => this.workers.delete(w));
    return w;
  }

  /**
   * Runs one trial on `worker` (a fresh one from `ctx.spawn` when it is gone) and returns the worker
   * for the lane's next trial: none after a trial that did not end done (it is closed).
   */
  private async runTrial(ctx: TrialContext, trial: SweepTrial, worker: EngineWorker | undefined, threads: number): Promise<EngineWorker | undefined> {
    const { sweep, dir, save, spawn } = ctx;
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
    const outcome = await worker.run(
      { kind: 'run', configPath: path.join(dir, trial.configFile), runDir: path.join(dir, trial.runDir) },
      (m: EngineMessage) => {
        if (m.type === 'run_finished') summary = m.summary;
        else if (m.type === 'config_error') configIssues = m.issues;
        else trial.teacherLogits = trialTeacherLogits(trial.teacherLogits, m);
        if (trial.teacherLogits) ctx.teacherReady?.();
      },
      { threads },
    );
    ctx.teacherReady?.();
    if (trial.teacherLogits === 'cache-hit') sweep.teacherCache.hits++;
    if (trial.teacherLogits === 'computed') sweep.teacherCache.computed++;
    if (summary) {
      trialResultFrom(sweep, trial, summary);
    } else {
      trial.status = this.stopped ? 'stopped' : 'failed';
      const exit = outcome.ended ? undefined : outcome.exit;
      trial.error = configIssues
        ? configIssues.map(issueText).join('; ')
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

/** A finished trial's results and status from its summary.json: the one rule for local workers and Slurm tasks. */
export function trialResultFrom(sweep: SweepFile, trial: SweepTrial, summary: RunSummary): void {
  trial.durationSec = summary.durationSec;
  trial.valAccuracy = summary.student?.valAccuracy;
  trial.testAccuracy = summary.student?.testAccuracy;
  trial.metric = sweep.metric === 'valAccuracy' ? trial.valAccuracy : trial.testAccuracy;
  trial.status = summary.status === 'done' ? 'done' : summary.status === 'stopped' ? 'stopped' : 'failed';
  if (summary.error) trial.error = summary.error;
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

/** This process, as sweep.json names its owner (the start time tells a reused pid apart). */
function ownerProcess(): SweepFile['owner'] {
  const procStart = processStartOf(process.pid);
  return procStart === undefined ? { pid: process.pid } : { pid: process.pid, procStart };
}

/** Ends the sweep with `status`, now. */
function finish(sweep: SweepFile, status: SweepFile['status']): void {
  const ended = new Date();
  sweep.status = status;
  sweep.endedAt = ended.toISOString();
  sweep.durationSec = (ended.getTime() - Date.parse(sweep.startedAt)) / 1000;
}

/** Atomically: a reader always sees a whole file. */
export function writeSweepFile(dir: string, sweep: SweepFile): void {
  writeFileAtomic.sync(path.join(dir, SWEEP_FILES.sweep), JSON.stringify(sweep, null, 2) + '\n');
}
