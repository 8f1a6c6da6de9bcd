/**
 * One run from a kd.json path to a finished run folder. Separate from main.ts so tests can
 * run the engine in-process.
 */
import * as path from 'node:path';
import type { BackendName, KdConfig } from '../../protocol/config';
import { paramCount } from '../models/externalTeacher';
import { BACKENDS, baselineStart } from '../../protocol/config';
import type { EngineMessage, RunSummary } from '../../protocol/events';
import { checkWorkspacePaths, loadConfigFile, locateIssuesInFile, type ConfigIssue } from '../../protocol/loadConfig';
import type { EngineRequest } from '../../protocol/engineArgs';
import { FILES, readEvents } from '../../protocol/runFolder';
import { HEARTBEAT_INTERVAL_MS, processStartOf, type Heartbeat } from '../../protocol/runStatus';
import { createRunFolder, runDirProblem, runName } from '../../protocol/runId';
import { advanceMathRandom, restoreMathRandom, seedMathRandom } from '../util/rng';
import { loadTf, tfLoaded, tfLoadRandomSpan } from '../tf';
import { openForResume, ResumeError, rewindRunFolder, type ResumePoint } from './resume';
import { BackendUnavailableError } from '../backend/select';
import { threadsAsked, threadsPerRun } from '../../protocol/threads';
import { ConfigError, prepare, releasePrepared, type Prepared } from './prepare';
import type { RunMemo } from './memo';
import { executeRun } from './runner';
import { describeSplits, splitWarnings } from '../data/dataset';
import { RunWriter } from './runWriter';
import { gitStateAt } from './gitState';

export const EXIT = { done: 0, failed: 1, badConfig: 2, stopped: 3 } as const;

export interface EngineOptions {
  /** A new run (in the folder its parent chose), a resume, or the checks only (protocol/engineArgs.ts). */
  request: EngineRequest;
  send: (m: EngineMessage) => void;
  shouldStop: () => boolean;
  /** A worker engine's store of what its runs share; each run's own models are disposed at its end. */
  memo?: RunMemo;
}

export async function runEngine(o: EngineOptions): Promise<number> {
  const { request } = o;
  const { backend, workspaceRoot } = request;
  let configPath = path.resolve(request.kind === 'resume' ? request.runDir : request.configPath);
  const configError = (issues: ConfigIssue[]) => {
    // Issues found past the schema (data, models, batch size) get kd.json's line:column too; a resumed run's config is its config.json.
    o.send({ type: 'config_error', configPath, issues: request.kind === 'resume' ? issues : locateIssuesInFile(configPath, issues) });
    return EXIT.badConfig;
  };
  // What fails before a run folder exists, not for a fault of the kd.json: said in words, exit 1.
  const failure = (message: string) => {
    o.send({ type: 'engine_failed', message });
    return EXIT.failed;
  };
  let cfg: KdConfig;
  let resume: ResumePoint | undefined;
  if (request.kind === 'resume') {
    let opened;
    try {
      opened = openForResume(request.runDir);
    } catch (e) {
      if (e instanceof ResumeError) return failure(e.message);
      throw e;
    }
    configPath = opened.configPath;
    if ('issues' in opened) return configError(opened.issues);
    // A resumed run reads config.json, not kd.json: its paths are held to the workspace too.
    const outside = workspaceRoot ? checkWorkspacePaths(opened.cfg, path.dirname(configPath), workspaceRoot) : [];
    if (outside.length) return configError(outside);
    resume = opened;
    cfg = opened.cfg;
  } else {
    const loaded = loadConfigFile(configPath, { workspaceRoot });
    if (!loaded.ok) return configError(loaded.issues);
    cfg = loaded.config;
    const folderProblem = request.kind === 'run' ? runDirProblem(path.resolve(request.runDir)) : undefined;
    if (folderProblem) return failure(folderProblem);
  }
  if (backend) {
    if (!(BACKENDS as readonly string[]).includes(backend))
      return configError([{ path: ['backend'], message: `unknown backend "${backend}" (expected one of ${BACKENDS.join(', ')})` }]);
    cfg = { ...cfg, backend: backend as BackendName };
  }
  seedMathRandom(cfg.seed);
  const loadedBefore = tfLoaded();
  const tf = loadTf();
  // A worker's run draws what a single engine draws, which loads tfjs after seeding.
  const span = tfLoadRandomSpan();
  if (o.memo && loadedBefore && span) advanceMathRandom(...span);

  let prepared;
  try {
    const progress = (done: number, total: number) => o.send({ type: 'data_progress', what: 'decoding images', done, total });
    prepared = await prepare(tf, cfg, path.dirname(configPath), o.memo, progress);
  } catch (e) {
    if (e instanceof ConfigError) return configError(e.issues);
    if (e instanceof BackendUnavailableError) return configError([{ path: ['backend'], message: e.message }]);
    throw e;
  }
  if (request.kind === 'validate') {
    o.send({ type: 'config_valid', configPath, backend: prepared.backend, data: describeData(prepared), notes: prepared.notes });
    releasePrepared(prepared, o.memo);
    return EXIT.done;
  }
  // Stopped (or orphaned) while the run was being prepared: no run folder, nothing trained.
  if (o.shouldStop()) {
    if (o.memo) releasePrepared(prepared, o.memo);
    return EXIT.stopped;
  }

  const name = runName(configPath, cfg.name);
  let dir: string;
  let startedAt = new Date();
  if (resume) {
    rewindRunFolder(resume);
    dir = resume.dir;
    const first = readEvents(dir).events.find((e) => e.type === 'run_started');
    if (first) startedAt = new Date(first.time);
  } else {
    // The folder the parent chose and announced: created here, never another one instead.
    dir = path.resolve(request.runDir);
    let problem: string | undefined;
    try {
      // Taken since the check above (another engine told the same folder): refused, not shared.
      if (!createRunFolder(dir)) problem = runDirProblem(dir);
    } catch (e) {
      problem = `cannot create the run folder ${dir}: ${(e as Error).message}`;
    }
    if (problem) {
      if (o.memo) releasePrepared(prepared, o.memo);
      return failure(problem);
    }
  }
  const runId = path.basename(dir);
  // Told a number (--threads): kept up to the cores; told nothing: a run alone's share.
  const threads = request.threads === undefined ? threadsPerRun(1) : threadsAsked(request.threads);
  const writer = new RunWriter(dir);
  writer.onEvent(o.send);
  const stopBeating = startHeartbeat(writer);
  // The code behind the result: the workspace's commit and dirty state, beside the settings (never a failure).
  if (!resume) writer.writeJson(FILES.config, { ...cfg, $configPath: configPath, $git: gitStateAt(path.dirname(configPath)) });
  writer.emit({
    type: 'run_started',
    runId,
    runDir: dir,
    name,
    pid: process.pid,
    backend: prepared.backend,
    threads,
    configPath,
    baselineStart: baselineStart(cfg.student),
    ...(resume ? { resumedFrom: path.basename(resume.checkpoint.dir) } : {}),
  });
  if (resume) {
    writer.emit({
      type: 'log',
      level: 'info',
      message: `resuming from checkpoint ${path.basename(resume.checkpoint.dir)}: ${resume.checkpoint.state.stage} after epoch ${resume.checkpoint.state.epoch}, step ${resume.checkpoint.state.step}`,
    });
    if (resume.checkpoint.state.mathRandom !== undefined) restoreMathRandom(resume.checkpoint.state.mathRandom);
  }
  writer.emit({ type: 'log', level: 'info', message: `backend: ${prepared.backend}; threads: ${threads}; data: ${describeData(prepared)}` });
  if (request.threads !== undefined && threads < request.threads)
    writer.emit({
      type: 'log',
      level: 'warn',
      message: `--threads ${request.threads}: this machine has ${threads} cores; using ${threads} (more threads than cores slow each other)`,
    });
  for (const warning of splitWarnings(prepared.ds)) writer.emit({ type: 'log', level: 'warn', message: warning });
  for (const note of prepared.notes) writer.emit({ type: 'log', level: note.includes('falling back') ? 'warn' : 'info', message: note });
  writer.emit({
    type: 'log',
    level: 'info',
    message: `teachers: ${prepared.teachers.map((t) => `${t.id} (${t.description}, ${paramCount(t.model)} params)`).join(', ')}; student: ${prepared.studentDescription} (${prepared.student.countParams()} params)`,
  });

  try {
    const summary = await executeRun({
      tf,
      cfg,
      configPath,
      runId,
      backend: prepared.backend,
      threads,
      writer,
      prepared,
      shouldStop: o.shouldStop,
      startedAt,
      resume: resume?.checkpoint,
      memo: o.memo,
    });
    return summary.status === 'done' ? EXIT.done : EXIT.stopped;
  } catch (e) {
    let error = describeFailure(e);
    if (process.env.DISTILLERY_DEBUG) console.error(e);
    // The failure may be the disk itself: every write below is tried, none may hide the error.
    try {
      writer.emit({ type: 'log', level: 'error', message: error });
    } catch {
      /* reported through the summary and run_finished */
    }
    const ended = new Date();
    const summary: RunSummary = {
      runId,
      name,
      status: 'failed',
      backend: prepared.backend,
      startedAt: startedAt.toISOString(),
      endedAt: ended.toISOString(),
      durationSec: (ended.getTime() - startedAt.getTime()) / 1000,
      error,
      configPath,
      numClasses: prepared.ds.numClasses,
      testSamples: prepared.ds.test.indices.length,
    };
    try {
      writer.writeJson(FILES.summary, summary);
    } catch (w) {
      if (w !== e) summary.error = error = `${error}; ${(w as Error).message}`;
    }
    try {
      writer.emit({ type: 'run_finished', status: 'failed', error, summary });
    } catch {
      // Not on disk, but the listeners (the parent) got it.
    }
    return EXIT.failed;
  } finally {
    stopBeating();
    writer.close();
    if (o.memo) releasePrepared(prepared, o.memo);
  }
}

/** The data as the run log and `distill validate` give it. */
function describeData(prepared: Prepared): string {
  const { ds } = prepared;
  // Named classes are listed (the first 12), so the log and `distill validate` say what the ids mean.
  const names = ds.classNames ? ` (${ds.classNames.slice(0, 12).join(', ')}${ds.classNames.length > 12 ? ', …' : ''})` : '';
  return `${prepared.dataDescription}, ${describeSplits(ds)}, ${ds.numClasses} classes${names}`;
}

/**
 * The reason a run failed, in words: allocation failures (a model too large for wasm's heap or
 * for Node's) say that the engine ran out of memory.
 */
export function describeFailure(e: unknown): string {
  const message = (e as Error)?.message ?? String(e);
  const oom = e instanceof RangeError && /allocat|Array buffer|Invalid array length|Invalid typed array length/i.test(message);
  if (oom || /Failed to allocate|out of memory|Aborted\(OOM\)|Cannot enlarge memory/i.test(message)) return `the engine ran out of memory: ${message}`;
  // tfjs-wasm addresses at most 4 GB: a tensor past that makes malloc fail, seen as a stray access.
  if (e instanceof WebAssembly.RuntimeError && /memory access out of bounds/i.test(message))
    return `the engine ran out of memory (wasm: ${message}); the model or the batch is too large for the wasm backend's 4 GB, try a smaller batchSize or model`;
  return message;
}

/** heartbeat.json: proof of life for readers that did not start this engine (runStatus.ts). */
function startHeartbeat(writer: RunWriter): () => void {
  // Its start time lets a reader tell this engine from a later process that reuses its pid.
  const procStart = processStartOf(process.pid);
  const beat: Heartbeat = { pid: process.pid, ...(procStart ? { procStart } : {}), time: new Date().toISOString() };
  writer.onEvent((e) => {
    if (e.type === 'step') Object.assign(beat, { stage: e.stage, epoch: e.epoch, step: e.step, totalSteps: e.totalSteps });
    else if (e.type === 'stage_started') Object.assign(beat, { stage: e.stage, epoch: 0, step: 0, totalSteps: e.epochs * e.stepsPerEpoch });
  });
  const write = () => {
    beat.time = new Date().toISOString();
    try {
      writer.writeJson(FILES.heartbeat, beat);
    } catch {
      // A missed beat is harmless; the run's own writes report a failing disk.
    }
  };
  write();
  const timer = setInterval(write, HEARTBEAT_INTERVAL_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    write();
  };
}
