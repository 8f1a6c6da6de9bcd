/** Learning rate at a step: warm-up, then constant, cosine to a floor, or step decay by epochs. */
import type { TrainingSpec } from '../../protocol/config';

export function learningRateAt(training: TrainingSpec, step: number, stepsPerEpoch: number): number {
  const { learningRate } = training.optimizer;
  const s = training.schedule;
  const total = training.epochs * stepsPerEpoch;
  if (s.warmupSteps > 0 && step < s.warmupSteps) return (learningRate * (step + 1)) / s.warmupSteps;
  switch (s.type) {
    case 'constant':
      return learningRate;
    case 'cosine': {
      const span = Math.max(1, total - s.warmupSteps);
      const progress = Math.min(1, (step - s.warmupSteps) / span);
      return s.minLearningRate + 0.5 * (learningRate - s.minLearningRate) * (1 + Math.cos(Math.PI * progress));
    }
    case 'step':
      return learningRate * Math.pow(s.gamma, Math.floor(step / stepsPerEpoch / s.stepEvery));
  }
}
