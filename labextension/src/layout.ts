/**
 * Where the DAG preview draws each step: layers by longest path from a root
 * (so every edge points down), steps in a layer in pipeline order.
 */
import { Edge } from './wire';

export interface INodeBox {
  name: string;
  layer: number;
  x: number;
  y: number;
}

export interface IEdgePath {
  from: string;
  to: string;
  d: string;
}

export interface IDagLayout {
  nodes: INodeBox[];
  edges: IEdgePath[];
  width: number;
  height: number;
}

export const NODE_WIDTH = 120;
export const NODE_HEIGHT = 28;
const GAP_X = 16;
const GAP_Y = 36;
const MARGIN = 8;

/** Longest-path layer of each step; edges to unknown steps and cycles are ignored. */
export function layerSteps(steps: ReadonlyArray<string>, edges: ReadonlyArray<Edge>): Map<string, number> {
  const known = new Set(steps);
  const parents = new Map<string, string[]>(steps.map(s => [s, []]));
  for (const [from, to] of edges) {
    if (known.has(from) && known.has(to) && from !== to) {
      parents.get(to)!.push(from);
    }
  }
  const layers = new Map<string, number>();
  const visiting = new Set<string>();
  const layerOf = (step: string): number => {
    const done = layers.get(step);
    if (done !== undefined) {
      return done;
    }
    if (visiting.has(step)) {
      return 0;
    }
    visiting.add(step);
    const layer = Math.max(-1, ...parents.get(step)!.map(layerOf)) + 1;
    visiting.delete(step);
    layers.set(step, layer);
    return layer;
  };
  steps.forEach(layerOf);
  return layers;
}

export function layoutDag(steps: ReadonlyArray<string>, edges: ReadonlyArray<Edge>): IDagLayout {
  const layers = layerSteps(steps, edges);
  const rows: string[][] = [];
  for (const step of steps) {
    const layer = layers.get(step)!;
    (rows[layer] = rows[layer] || []).push(step);
  }
  const widest = Math.max(1, ...rows.map(r => r.length));
  const width = MARGIN * 2 + widest * NODE_WIDTH + (widest - 1) * GAP_X;
  const nodes: INodeBox[] = [];
  rows.forEach((row, layer) => {
    const rowWidth = row.length * NODE_WIDTH + (row.length - 1) * GAP_X;
    const left = (width - rowWidth) / 2;
    row.forEach((name, i) => {
      nodes.push({ name, layer, x: left + i * (NODE_WIDTH + GAP_X), y: MARGIN + layer * (NODE_HEIGHT + GAP_Y) });
    });
  });
  const at = new Map(nodes.map(n => [n.name, n]));
  const paths: IEdgePath[] = [];
  for (const [from, to] of edges) {
    const a = at.get(from);
    const b = at.get(to);
    if (a && b && a.layer < b.layer) {
      paths.push({ from, to, d: edgePath(a, b) });
    }
  }
  const height = MARGIN * 2 + Math.max(1, rows.length) * NODE_HEIGHT + Math.max(0, rows.length - 1) * GAP_Y;
  return { nodes, edges: paths, width, height };
}

function edgePath(a: INodeBox, b: INodeBox): string {
  const x1 = a.x + NODE_WIDTH / 2;
  const y1 = a.y + NODE_HEIGHT;
  const x2 = b.x + NODE_WIDTH / 2;
  const y2 = b.y;
  const bend = (y2 - y1) / 2;
  return `M${x1},${y1} C${x1},${y1 + bend} ${x2},${y2 - bend} ${x2},${y2}`;
}
