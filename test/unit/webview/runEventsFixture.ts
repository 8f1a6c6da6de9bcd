/**
 * A whole run's events as the engine writes them (teacher → distill → baseline), with times one
 * second per step: the fixture of the dashboard model's tests. The teacher and the baseline
 * train with CE only, so their `ce` term equals their total, as in a real run.
 */
import type { RunEvent, RunSummary, StageName } from '../../../src/protocol/events';
import type { Palette } from '../../../webview/lib/theme';

export const PALETTE: Palette = {
  kind: 'dark',
  foreground: '#cccccc',
  muted: '#9d9d9d',
  grid: '#3c3c3c',
  background: '#1f1f1f',
  font: 'sans-serif',
  series: ['#3794ff', '#d18616', '#89d185', '#b180d7', '#f14c4c', '#cca700', '#cccccc'],
  good: '#89d185',
  bad: '#f14c4c',
  teacher: '#b180d7',
  student: '#3794ff',
  baseline: '#d18616',
};

const time = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, 0) + s * 1000).toISOString();

export interface StagePlan {
  stage: StageName;
  epochs: number;
  stepsPerEpoch: number;
  /** Validation accuracy after each epoch. */
  val: number[];
  /** Stop after this many steps (a stopped run). */
  stopAfter?: number;
  model?: string;
}

/** The events of the stages in order; `clock` advances one second per step. */
export function stageEvents(stages: StagePlan[], clock = { s: 0 }): RunEvent[] {
  const ev: RunEvent[] = [
    {
      time: time(clock.s),
      type: 'run_started',
      runId: 'r1',
      runDir: '/x/r1',
      name: 'mnist',
      pid: 1,
      backend: 'wasm',
      configPath: '/x/kd.json',
      baselineStart: 'scratch',
    },
  ];
  for (const p of stages) {
    const model = p.model ?? (p.stage === 'teacher' ? 'teacher_0' : 'student');
    ev.push({ time: time(clock.s), type: 'stage_started', stage: p.stage, model, epochs: p.epochs, stepsPerEpoch: p.stepsPerEpoch, params: 100 });
    const total = p.epochs * p.stepsPerEpoch;
    for (let step = 1; step <= total; step++) {
      if (p.stopAfter !== undefined && step > p.stopAfter) return ev;
      clock.s++;
      const epoch = Math.ceil(step / p.stepsPerEpoch);
      const loss = 2 / step;
      const terms: Record<string, number> = p.stage === 'distill' ? { kd: 1 / step, ce: 3 / step } : { ce: loss };
      ev.push({ time: time(clock.s), type: 'step', stage: p.stage, epoch, step, totalSteps: total, loss, terms, lr: 0.01, samplesPerSec: 640 });
      if (step % p.stepsPerEpoch === 0)
        ev.push({
          time: time(clock.s),
          type: 'epoch',
          stage: p.stage,
          epoch,
          epochs: p.epochs,
          loss,
          trainAccuracy: p.val[epoch - 1] + 0.05,
          valAccuracy: p.val[epoch - 1],
          seconds: p.stepsPerEpoch,
        });
    }
    ev.push({ time: time(clock.s), type: 'stage_done', stage: p.stage, valAccuracy: p.val[p.val.length - 1], testAccuracy: NaN });
  }
  return ev;
}

export const WHOLE_RUN: StagePlan[] = [
  { stage: 'teacher', epochs: 1, stepsPerEpoch: 7, val: [0.9] },
  { stage: 'distill', epochs: 2, stepsPerEpoch: 7, val: [0.6, 0.8] },
  { stage: 'baseline', epochs: 2, stepsPerEpoch: 7, val: [0.62, 0.75] },
];

export function doneSummary(): RunSummary {
  const r = (testAccuracy: number) => ({ testAccuracy, confusion: [], params: 100, bytes: 400, latencyMs: 0.1 });
  return {
    runId: 'r1',
    name: 'mnist',
    status: 'done',
    backend: 'wasm',
    startedAt: time(0),
    endedAt: time(35),
    durationSec: 75.4,
    configPath: '/x/kd.json',
    numClasses: 10,
    testSamples: 120,
    teacher: { ...r(0.9117), id: 't', ids: ['t'] },
    student: r(0.4333),
    baseline: { ...r(0.4167), start: 'scratch' },
    gain: 0.0166,
  };
}
