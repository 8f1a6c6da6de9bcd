/**
 * Messages from a webview, and the UI state a webview keeps (which the host reads back after a
 * reload), cross a trust boundary: a webview draws strings from run folders, so what it posts
 * is parsed here with a schema, field by field, never trusted for its `type` alone. A path in
 * one is still only a string: the panels then check it against the run and sweep folders they
 * know (protocol/knownFolders.ts). Kept apart from webviewMessages.ts so that the webview
 * bundles do not carry zod.
 */
import { z } from 'zod';
import type { WebviewMessage, WebviewUiState } from './webviewMessages';

const id = z.string().min(1).max(400);
const filePath = z.string().min(1).max(4096);
const view = z.enum(['dashboard', 'compare', 'sweep', 'experiments']);
const tab = z.enum(['curves', 'results', 'confusion', 'darkKnowledge', 'log']);

const DashboardUiState = z.object({
  view: z.literal('dashboard'),
  runId: id,
  runDir: filePath,
  tab: tab.optional(),
  normalise: z.boolean().optional(),
  confusionModel: z.enum(['student', 'baseline']).optional(),
  cell: z.object({ model: z.enum(['teacher', 'student', 'diff']), actual: z.number().int(), predicted: z.number().int() }).optional(),
  sample: z.number().int().nonnegative().optional(),
  temperature: z.number().finite().optional(),
  logScale: z.boolean().optional(),
  smooth: z.boolean().optional(),
});
const CompareUiState = z.object({ view: z.literal('compare'), runDirs: z.array(filePath).max(64), metric: z.enum(['val', 'loss']).optional() });
const SweepUiState = z.object({
  view: z.literal('sweep'),
  sweepDir: filePath,
  sort: z.object({ key: z.string().max(200), descending: z.boolean() }).optional(),
});

const words = z.array(z.string().max(60)).max(20);
const ExperimentsUiState = z.object({
  view: z.literal('experiments'),
  sort: z.object({ key: z.string().max(400), descending: z.boolean() }).optional(),
  filter: z.string().max(400).optional(),
  statuses: words.optional(),
  verdicts: words.optional(),
  group: z.enum(['none', 'kdjson', 'sweep']).optional(),
  pinned: id.optional(),
  columns: z.array(z.string().max(400)).max(200).optional(),
  onlyDiffering: z.boolean().optional(),
});

export const WebviewUiStateSchema = z.discriminatedUnion('view', [DashboardUiState, CompareUiState, SweepUiState, ExperimentsUiState]);

export const WebviewMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), view, state: WebviewUiStateSchema.optional() }),
  z.object({ type: z.literal('stop'), runId: id }),
  z.object({ type: z.literal('rerun'), runId: id }),
  z.object({ type: z.literal('openConfig'), runId: id }),
  z.object({ type: z.literal('applyBest') }),
  z.object({ type: z.literal('exportCsv'), fileName: z.string().max(255), csv: z.string().max(64 * 1024 * 1024) }),
  z.object({ type: z.literal('openRun'), runDir: filePath }),
  z.object({ type: z.literal('compareRuns'), runDirs: z.array(filePath).min(1).max(64) }),
  z.object({ type: z.literal('openSweep'), sweepDir: filePath }),
  z.object({
    type: z.literal('rendered'),
    view,
    steps: z.number().int().nonnegative(),
    epochs: z.number().int().nonnegative(),
    status: z.string().max(40),
    charts: z.number().int().nonnegative(),
  }),
]);

/** The message, when it is one of WebviewMessage's shapes exactly (unknown keys dropped); else undefined. */
export function parseWebviewMessage(value: unknown): WebviewMessage | undefined {
  const r = WebviewMessageSchema.safeParse(value);
  return r.success ? (r.data as WebviewMessage) : undefined;
}

/** A webview's kept state, when it has the shape of one; else undefined (the panel is not restored). */
export function parseWebviewUiState(value: unknown): WebviewUiState | undefined {
  const r = WebviewUiStateSchema.safeParse(value);
  return r.success ? (r.data as WebviewUiState) : undefined;
}

// The schema and the types must describe the same messages, both ways: this stops compiling
// when they part (a field the schema requires but the type lacks, or the reverse).
const sameShape = (m: z.infer<typeof WebviewMessageSchema>): WebviewMessage => m;
const sameShapeBack = (m: WebviewMessage): z.infer<typeof WebviewMessageSchema> => m;
const sameState = (s: z.infer<typeof WebviewUiStateSchema>): WebviewUiState => s;
const sameStateBack = (s: WebviewUiState): z.infer<typeof WebviewUiStateSchema> => s;
void sameShape;
void sameShapeBack;
void sameState;
void sameStateBack;
