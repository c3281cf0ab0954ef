/** A run's progress in the panel: the summary (result, failing cell, links) and the step list. */
import * as React from 'react';

import { PipelineModel } from './model';
import type { IPanelActions } from './actions';
import { IOutputChunk, IRunView } from './runview';
import { stripAnsi, TracebackView } from './traceback';
import { IRunError, StepState } from './wire';

export function RunSummary(props: { run: IRunView; model: PipelineModel; actions: IPanelActions }): JSX.Element {
  const { run, model, actions } = props;
  const done = Object.values(run.steps).filter(s => ['succeeded', 'cached', 'skipped'].includes(s.state)).length;
  const total = run.order.length;
  const result = run.result;
  const error = result?.error;
  return (
    <div className={`kale-like-run kale-like-run-${run.state}`} role="status" aria-label="Run status">
      <p className="kale-like-run-title">
        {runTitle(run)}
        {total > 0 && !result && ` (${done}/${total} steps)`}
        {run.transport === 'polling' && !result && ' · polling'}
      </p>
      {result?.output_path && (
        <button type="button" className="kale-like-link" onClick={() => actions.openPath(result.output_path!)}>
          {result.ok ? 'Open executed notebook' : 'Open the partial executed notebook'}
        </button>
      )}
      {result?.ok && result.output_path && !model.outputsShown && (
        <button
          type="button"
          className="kale-like-link"
          title="Copy the run's outputs into the cells of this notebook (you can save or discard them)"
          onClick={() => void model.showOutputs()}
        >
          Show outputs in this notebook
        </button>
      )}
      {(result?.output_url || run.url) && (
        <a className="kale-like-link" href={(result?.output_url || run.url)!} target="_blank" rel="noreferrer">
          Open the run in Kubeflow Pipelines
        </a>
      )}
      {result && !result.ok && run.state === 'cancelled' && <p className="kale-like-cancelled">Cancelled</p>}
      {result && !result.ok && run.state !== 'cancelled' && error && (
        <Failure error={error} model={model} actions={actions} />
      )}
    </div>
  );
}

/** Where and why a run failed: the step, a link to the cell, the message, the traceback. */
function Failure(props: { error: IRunError; model: PipelineModel; actions: IPanelActions }): JSX.Element {
  const { error, model, actions } = props;
  const cell = error.cell ?? null;
  const line = error.line ?? null;
  // The server words the place as everywhere else (CLI, validate): "step 'x', cell 3 (In [2]), line 4".
  const where =
    error.where ||
    [error.step && `step '${error.step}'`, cell !== null && `cell ${cell}`, line !== null && `line ${line}`]
      .filter(Boolean)
      .join(', ');
  return (
    <div className="kale-like-failure">
      {where && (
        <p>
          Failed at{' '}
          {cell !== null ? (
            <button
              type="button"
              className="kale-like-link"
              title="Put the cursor on this line"
              onClick={() => model.revealCell(cell, line)}
            >
              {where}
            </button>
          ) : (
            <strong>{where}</strong>
          )}
        </p>
      )}
      <pre className="kale-like-error-message">{error.message}</pre>
      {error.traceback && (
        <TracebackView
          text={error.traceback}
          rendermime={actions.rendermime}
          openWide={actions.openTraceback}
          title={`Traceback: ${error.step ?? 'run'}`}
        />
      )}
    </div>
  );
}

export function runTitle(run: { backend: string; state: IRunView['state'] }): string {
  const where = run.backend === 'kfp' ? ' on Kubeflow Pipelines' : '';
  switch (run.state) {
    case 'starting':
      return 'Starting…';
    case 'running':
      return `Running${where}…`;
    case 'cancelling':
      return 'Cancelling…';
    case 'succeeded':
      return `Run succeeded${where}`;
    case 'failed':
      return `Run failed${where}`;
    case 'cancelled':
      return 'Run cancelled';
    case 'interrupted':
      return 'Interrupted (the server stopped)';
  }
}

function useTicker(active: boolean): void {
  const [, setTick] = React.useState(0);
  React.useEffect(() => {
    if (!active) {
      return;
    }
    const timer = setInterval(() => setTick(t => t + 1), 500);
    return () => clearInterval(timer);
  }, [active]);
}

export function formatElapsed(seconds: number): string {
  if (seconds < 60) {
    return `${seconds.toFixed(1)} s`;
  }
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m ${String(Math.floor(seconds % 60)).padStart(2, '0')}s`;
}

/** What a step printed, as it prints it, kept scrolled to the end unless the user scrolled up. */
function LiveOutput(props: { step: string; chunks: IOutputChunk[] }): JSX.Element {
  const box = React.useRef<HTMLPreElement>(null);
  const pinned = React.useRef(true);
  React.useLayoutEffect(() => {
    if (box.current && pinned.current) {
      box.current.scrollTop = box.current.scrollHeight;
    }
  });
  return (
    <pre
      ref={box}
      className="kale-like-live-output"
      role="log"
      aria-label={`Output of step ${props.step}`}
      onScroll={e => {
        const el = e.currentTarget;
        pinned.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 4;
      }}
    >
      {props.chunks.map((chunk, i) => (
        <span key={i} className={chunk.name === 'stderr' ? 'kale-like-stderr' : undefined}>
          {stripAnsi(chunk.text)}
        </span>
      ))}
    </pre>
  );
}

export function StepList({ model, run }: { model: PipelineModel; run: IRunView | null }): JSX.Element {
  useTicker(model.running);
  const steps = model.steps;
  if (!steps.length) {
    return <p className="kale-like-muted">{model.analyzing ? 'Analyzing…' : 'No steps yet.'}</p>;
  }
  return (
    <ul className="kale-like-steps">
      {steps.map(step => {
        const progress = run?.steps[step.name];
        const state: StepState | undefined = progress?.state;
        const elapsed = progress?.since ? (Date.now() - progress.since) / 1000 : progress?.elapsed;
        return (
          <li
            key={step.name}
            className="kale-like-step"
            aria-label={`Step ${step.name}`}
            data-step={step.name}
            data-state={state ?? ''}
          >
            <div className="kale-like-step-head">
              <span className="kale-like-swatch" style={{ backgroundColor: model.colorOf(step.name) }} />
              <strong className="kale-like-name" title={step.name}>
                {step.name}
              </strong>
              <span className="kale-like-cells">
                {step.cells.map(cell => (
                  <button
                    key={cell}
                    type="button"
                    className="kale-like-link"
                    onClick={() => model.revealCell(cell)}
                    aria-label={`Go to cell ${cell}`}
                  >
                    [{cell}]
                  </button>
                ))}
              </span>
              {state && (
                <span className={`kale-like-state kale-like-state-${state}`}>
                  {state}
                  {elapsed !== undefined && state !== 'waiting' && ` · ${formatElapsed(elapsed)}`}
                </span>
              )}
            </div>
            {step.inputs.length > 0 && (
              <div className="kale-like-io">in: {step.inputs.map(i => `${i.name} ← ${i.producer}`).join(', ')}</div>
            )}
            {step.outputs.length > 0 && <div className="kale-like-io">out: {step.outputs.join(', ')}</div>}
            {progress?.output?.length ? <LiveOutput step={step.name} chunks={progress.output} /> : null}
          </li>
        );
      })}
    </ul>
  );
}
