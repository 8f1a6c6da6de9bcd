/**
 * What the CLI shows while a run goes: one redrawn status line on a terminal, plain lines
 * (one per epoch, and the logs) elsewhere, so CI logs stay readable.
 */
import type { EngineMessage, StageName } from '../protocol/events';
import { formatDuration, pct } from '../protocol/format';

const STAGE_LABEL: Record<StageName, string> = { teacher: 'teacher', assistant: 'assistant', distill: 'distill', baseline: 'baseline' };

export class ProgressView {
  private stageStart = Date.now();
  private lineOpen = false;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly tty: boolean,
  ) {}

  private write(line: string): void {
    if (this.lineOpen) this.out.write('\r\x1b[K');
    this.out.write(line + '\n');
    this.lineOpen = false;
  }

  private status(line: string): void {
    this.out.write('\r\x1b[K' + line.slice(0, (this.out.columns || 120) - 1));
    this.lineOpen = true;
  }

  handle(m: EngineMessage): void {
    switch (m.type) {
      case 'run_started':
        this.write(`run ${m.runId} on ${m.backend}\n  folder: ${m.runDir}`);
        break;
      case 'log':
        this.write(`${m.level === 'info' ? '' : m.level + ': '}${m.message}`);
        break;
      case 'stage_started':
        this.stageStart = Date.now();
        this.write(`▶ ${STAGE_LABEL[m.stage]}: ${m.model}, ${m.params.toLocaleString('en')} params, ${m.epochs} epochs × ${m.stepsPerEpoch} steps`);
        break;
      case 'step': {
        if (!this.tty) break;
        const frac = m.step / m.totalSteps;
        const eta = ((Date.now() - this.stageStart) / 1000) * (1 / frac - 1);
        const width = 20;
        const bar = '█'.repeat(Math.round(frac * width)).padEnd(width, '░');
        const terms = Object.entries(m.terms)
          .map(([k, v]) => `${k} ${v.toFixed(3)}`)
          .join(' ');
        this.status(
          `${STAGE_LABEL[m.stage]} epoch ${m.epoch} ${bar} ${(frac * 100).toFixed(0)}% step ${m.step}/${m.totalSteps} loss ${m.loss.toFixed(4)} (${terms}) ${Math.round(m.samplesPerSec)} samples/s ETA ${formatDuration(eta)}`,
        );
        break;
      }
      case 'epoch':
        this.write(
          `  ${STAGE_LABEL[m.stage]} epoch ${m.epoch}/${m.epochs}: loss ${m.loss.toFixed(4)}, train ${pct(m.trainAccuracy)}, validation ${pct(m.valAccuracy)} (${m.seconds.toFixed(1)} s)`,
        );
        break;
      case 'data_progress': {
        const frac = m.total ? m.done / m.total : 1;
        const bar = '█'.repeat(Math.round(frac * 20)).padEnd(20, '░');
        const line = `${m.what} ${bar} ${(frac * 100).toFixed(0)}% ${m.done.toLocaleString('en')}/${m.total.toLocaleString('en')}`;
        // Off a terminal, a line at the end only (CI logs stay short).
        if (this.tty) this.status(line);
        else if (m.done === m.total) this.write(line);
        break;
      }
      case 'stage_done':
      case 'run_finished':
      case 'config_error':
        break;
    }
  }
}
