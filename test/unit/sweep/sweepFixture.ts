/**
 * A sweep.json for tests that shape or judge sweeps without running one: the fields every
 * sweep has, and whatever the test gives (its params, seeds and trials at least).
 */
import { SWEEP_FORMAT, type SweepFile } from '../../../src/protocol/sweep';

export function sweepFileOf(fields: Pick<SweepFile, 'params' | 'seeds' | 'trials'> & Partial<SweepFile>): SweepFile {
  return {
    format: SWEEP_FORMAT,
    sweepId: 'sw',
    name: 'n',
    configPath: '/k/kd.json',
    status: 'done',
    startedAt: '',
    metric: 'valAccuracy',
    metricLabel: 'validation accuracy',
    epochs: 1,
    parallel: 1,
    aggregates: [],
    teacherCache: { dir: '', hits: 0, computed: 0 },
    notes: [],
    ...fields,
  };
}
