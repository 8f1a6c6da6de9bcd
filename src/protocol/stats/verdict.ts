/**
 * The one rule every verdict follows (a run's McNemar/Newcombe interval, a head's paired
 * t-interval, a setting's interval over seeds): a difference is measurable only when 0 lies
 * outside its 95 % interval, and then it is "better" or "worse"; otherwise "no measurable
 * difference". The words are the product's: they appear in summary.json and sweep.json.
 */
export type Verdict = 'better' | 'worse' | 'no measurable difference';

export function verdictOf(interval: [number, number]): Verdict {
  if (interval[0] > 0) return 'better';
  if (interval[1] < 0) return 'worse';
  return 'no measurable difference';
}
