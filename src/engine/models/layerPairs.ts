/**
 * Turns kd.json's feature and attention pairs into what training needs: which layers to tap
 * on each teacher and on the student (one slot per pair), and the adapters. Every problem
 * (an unknown layer, shapes no adapter can bridge) comes back with its JSON path.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { externalTeacherInfo } from './externalTeacher';
import type { DistillationSpec } from '../../protocol/config';
import type { ConfigIssue } from '../../protocol/loadConfig';
import type { AttentionPair, FeaturePair } from '../losses/features';
import { AdapterShapeError, buildAdapter, describeShape } from './adapters';
import { layerNames, layerShape, UnknownLayerError } from './taps';

/** Whether the layer gives one of the model's outputs (its logits or a head). */
function isOutputLayer(model: tfTypes.LayersModel, name: string): boolean {
  // An ONNX or GraphModel teacher lists its taps as outputs after the logits (externalTeacher.ts): only the logits count.
  if (externalTeacherInfo(model)) return model.outputs[0].sourceLayer.name === name;
  return model.outputs.some((o) => o.sourceLayer.name === name);
}

/** The layers a pair may name: all but the outputs. */
function innerLayers(model: tfTypes.LayersModel): string[] {
  return externalTeacherInfo(model)?.tapNames ?? layerNames(model).filter((n) => !isOutputLayer(model, n));
}

export interface LayerPlan {
  /** Student layer per slot. */
  studentLayers: string[];
  /** Per teacher (by index), the layers to tap, in order. */
  teacherLayers: string[][];
  /** Per slot: the teacher and the position of its activation in that teacher's taps. */
  slotSource: { teacher: number; tap: number }[];
  features: FeaturePair[];
  attention: AttentionPair[];
  /** One line per pair, for the run log. */
  descriptions: string[];
  dispose(): void;
}

export function hasLayerPairs(d: DistillationSpec): boolean {
  return d.features.length + d.attention.length > 0;
}

export function planLayerPairs(
  tf: typeof tfTypes,
  d: DistillationSpec,
  teachers: { id: string; model: tfTypes.LayersModel }[],
  student: tfTypes.LayersModel,
  seed: number,
): { plan?: LayerPlan; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const plan: LayerPlan = {
    studentLayers: [],
    teacherLayers: teachers.map(() => []),
    slotSource: [],
    features: [],
    attention: [],
    descriptions: [],
    dispose() {
      for (const f of this.features) f.adapter?.dispose();
    },
  };
  const shapeOf = (model: tfTypes.LayersModel, name: string, at: (string | number)[], whose: string): number[] | undefined => {
    try {
      const shape = layerShape(model, name);
      // tfjs drops an output named twice, so tapping an output layer fails mid-distill; its logits are distilled anyway.
      if (isOutputLayer(model, name))
        issues.push({
          path: at,
          message: `layer "${name}" is ${whose} output (its logits), which the soft-target term already distils; pick a layer before it: ${innerLayers(model).join(', ')}`,
        });
      return shape;
    } catch (e) {
      if (e instanceof UnknownLayerError) issues.push({ path: at, message: e.message });
      else throw e;
      return undefined;
    }
  };
  const pairs = [...d.features.map((p, i) => ({ kind: 'features' as const, p, i })), ...d.attention.map((p, i) => ({ kind: 'attention' as const, p, i }))];
  for (const { kind, p, i } of pairs) {
    const at = ['distillation', kind, i];
    const t = p.teacher === undefined ? 0 : teachers.findIndex((x) => x.id === p.teacher);
    if (t < 0) {
      issues.push({ path: [...at, 'teacher'], message: `no teacher with id "${p.teacher}"` });
      continue;
    }
    const ts = shapeOf(teachers[t].model, p.teacherLayer, [...at, 'teacherLayer'], `teacher "${teachers[t].id}"'s`);
    const ss = shapeOf(student, p.studentLayer, [...at, 'studentLayer'], "the student's");
    if (!ts || !ss) continue;
    const slot = plan.studentLayers.length;
    const pairName = `${kind === 'features' ? 'feature' : 'attention'} ${p.studentLayer} ${describeShape(ss)} → ${teachers[t].id}.${p.teacherLayer} ${describeShape(ts)}`;
    if (kind === 'attention') {
      if (ss.length !== 3 || ts.length !== 3) {
        issues.push({
          path: at,
          message: `attention transfer needs feature maps [h, w, c] on both sides, but ${p.studentLayer} is ${describeShape(ss)} and ${p.teacherLayer} is ${describeShape(ts)}`,
        });
        continue;
      }
      plan.attention.push({ slot, weight: p.weight });
      plan.descriptions.push(`${pairName}, weight ${p.weight}${ss[0] !== ts[0] || ss[1] !== ts[1] ? ' (maps resized to the smaller)' : ''}`);
    } else {
      try {
        const adapter = buildAdapter(tf, ss, ts, `adapter_${i + 1}`, seed + i);
        const resized = ss.length === 3 && (ss[0] !== ts[0] || ss[1] !== ts[1]);
        plan.features.push({ slot, weight: p.weight, loss: p.loss, adapter });
        plan.descriptions.push(
          `${pairName}, ${p.loss}, weight ${p.weight}${adapter ? `, adapter ${adapter.description}` : ''}${resized ? ', larger map pooled to the smaller' : ''}`,
        );
      } catch (e) {
        if (!(e instanceof AdapterShapeError)) throw e;
        issues.push({ path: at, message: e.message });
        continue;
      }
    }
    plan.studentLayers.push(p.studentLayer);
    plan.slotSource.push({ teacher: t, tap: plan.teacherLayers[t].length });
    plan.teacherLayers[t].push(p.teacherLayer);
  }
  if (issues.length) {
    plan.dispose();
    return { issues };
  }
  return { plan, issues };
}
