/** The DAG preview: steps as boxes in their colours, edges as curves, run state as a badge. */
import * as React from 'react';

import { stepColor } from './colors';
import { layoutDag, NODE_HEIGHT, NODE_WIDTH } from './layout';
import { Edge, StepState } from './wire';

export interface IDagViewProps {
  steps: string[];
  edges: Edge[];
  states?: Record<string, StepState | undefined>;
  onSelect?: (step: string) => void;
  colorOf?: (step: string) => string;
}

const STATE_MARK: Record<StepState, string> = {
  waiting: '…',
  running: '▶',
  cached: '↺',
  succeeded: '✓',
  failed: '✗',
  skipped: '–',
  cancelled: '■'
};

export function DagView(props: IDagViewProps): JSX.Element {
  const layout = layoutDag(props.steps, props.edges);
  const colorOf = props.colorOf ?? stepColor;
  return (
    <svg
      className="kale-like-dag"
      role="group"
      aria-label="Pipeline graph"
      width={layout.width}
      height={layout.height}
      viewBox={`0 0 ${layout.width} ${layout.height}`}
    >
      <defs>
        <marker
          id="kale-like-arrow"
          viewBox="0 0 10 10"
          refX="9"
          refY="5"
          markerWidth="6"
          markerHeight="6"
          orient="auto"
        >
          <path d="M0,0 L10,5 L0,10 z" className="kale-like-dag-arrow" />
        </marker>
      </defs>
      {layout.edges.map(e => (
        <path
          key={`${e.from}->${e.to}`}
          d={e.d}
          className="kale-like-dag-edge"
          markerEnd="url(#kale-like-arrow)"
          data-edge={`${e.from}->${e.to}`}
        />
      ))}
      {layout.nodes.map(n => {
        const state = props.states?.[n.name];
        return (
          <g
            key={n.name}
            transform={`translate(${n.x},${n.y})`}
            className={`kale-like-dag-node${state ? ` kale-like-state-${state}` : ''}`}
            role="button"
            aria-label={`Step ${n.name}${state ? `, ${state}` : ''}`}
            data-step={n.name}
            data-state={state ?? ''}
            tabIndex={0}
            onClick={() => props.onSelect?.(n.name)}
            onKeyDown={e => e.key === 'Enter' && props.onSelect?.(n.name)}
          >
            <rect width={NODE_WIDTH} height={NODE_HEIGHT} rx={6} style={{ stroke: colorOf(n.name) }} />
            <rect width={6} height={NODE_HEIGHT} rx={2} style={{ fill: colorOf(n.name) }} />
            <text x={12} y={NODE_HEIGHT / 2 + 4}>
              {n.name.length > 14 ? `${n.name.slice(0, 13)}…` : n.name}
            </text>
            {state && (
              <text x={NODE_WIDTH - 8} y={NODE_HEIGHT / 2 + 4} textAnchor="end" className="kale-like-dag-mark">
                {STATE_MARK[state]}
              </text>
            )}
            <title>{n.name}</title>
          </g>
        );
      })}
    </svg>
  );
}
