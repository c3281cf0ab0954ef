/** Recent runs of the notebook: when, with which parameters, how each step went, links, re-run, cancel. */
import * as React from 'react';

import { PipelineModel } from './model';
import type { IPanelActions } from './actions';
import { formatElapsed, runTitle } from './progress';
import { IRunStatus } from './wire';

export function formatWhen(seconds: number, now = Date.now()): string {
  const date = new Date(seconds * 1000);
  const sameDay = new Date(now).toDateString() === date.toDateString();
  const time = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return sameDay ? time : `${date.toLocaleDateString()} ${time}`;
}

function parametersText(parameters: Record<string, unknown> | undefined): string {
  const entries = Object.entries(parameters ?? {});
  return entries.length ? entries.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ') : 'notebook defaults';
}

function stepsText(run: IRunStatus): string {
  return (run.plan.steps.length ? run.plan.steps : Object.keys(run.steps))
    .map(name => {
      const step = run.steps[name];
      if (!step) {
        return name;
      }
      const time = ['succeeded', 'failed'].includes(step.state) ? ` ${formatElapsed(step.elapsed)}` : '';
      return `${name} ${step.state}${time}`;
    })
    .join(' · ');
}

export function RunHistory(props: { model: PipelineModel; actions: IPanelActions }): JSX.Element {
  const { model, actions } = props;
  const runs = model.history;
  if (!runs.length) {
    return <p className="kale-like-muted">No runs yet.</p>;
  }
  return (
    <ul className="kale-like-history" aria-label="Recent runs">
      {runs.map(run => {
        const going = run.state === 'running' || run.state === 'cancelling';
        const url = run.result?.output_url ?? run.output_url;
        return (
          <li key={run.id} data-run={run.id} data-state={run.state} aria-label={`Run ${formatWhen(run.started)}`}>
            <div className="kale-like-history-head">
              <strong>{formatWhen(run.started)}</strong>
              <span className={`kale-like-state kale-like-state-${run.state}`}>{runTitle(run)}</span>
              {run.finished && <span className="kale-like-muted">{formatElapsed(run.finished - run.started)}</span>}
            </div>
            <div className="kale-like-history-steps">parameters: {parametersText(run.parameters)}</div>
            <div className="kale-like-history-steps">{stepsText(run)}</div>
            <div className="kale-like-history-head">
              {run.result?.output_path && (
                <button
                  type="button"
                  className="kale-like-link"
                  onClick={() => actions.openPath(run.result!.output_path!)}
                >
                  executed notebook
                </button>
              )}
              {url && (
                <a className="kale-like-link" href={url} target="_blank" rel="noreferrer">
                  Kubeflow run page
                </a>
              )}
              {going ? (
                <button type="button" className="kale-like-small-button" onClick={() => void model.cancelRun(run.id)}>
                  Cancel this run
                </button>
              ) : (
                <button
                  type="button"
                  className="kale-like-small-button"
                  disabled={model.running}
                  title="Run again with the same parameters"
                  onClick={() => void model.rerun(run)}
                >
                  Re-run
                </button>
              )}
            </div>
          </li>
        );
      })}
    </ul>
  );
}
