/**
 * The left side panel: React components rendering a `PipelineModel`.
 * Every control has an accessible name; the UI test finds them by role and label.
 */
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { stepColor } from './colors';
import { DagView } from './dag';
import { IRunView, PipelineModel } from './model';
import { IUserSettings, StepState } from './tokens';

export interface IPanelActions {
  /** Open a file from the server root (the executed notebook). */
  openPath: (path: string) => void;
  /** Persist settings that belong to the user, not the notebook. */
  saveUserSettings: (settings: IUserSettings) => void;
}

export class PipelinePanel extends ReactWidget {
  constructor(
    private _model: PipelineModel,
    private _actions: IPanelActions
  ) {
    super();
    this.id = 'kale-like-panel';
    this.addClass('kale-like-panel');
    this.title.caption = 'Pipeline (kale_like)';
  }

  protected render(): JSX.Element {
    return (
      <UseSignal signal={this._model.changed}>
        {() => <PipelineView model={this._model} actions={this._actions} />}
      </UseSignal>
    );
  }
}

export function PipelineView(props: { model: PipelineModel; actions: IPanelActions }): JSX.Element {
  const { model } = props;
  const document = model.document;
  if (!document) {
    return (
      <div className="kale-like-body">
        <h2 className="kale-like-title">Pipeline</h2>
        <p className="kale-like-muted">Open a notebook to turn it into a pipeline.</p>
      </div>
    );
  }
  const enabled = model.enabled;
  return (
    <div className="kale-like-body">
      <div className="kale-like-header">
        <h2 className="kale-like-title">Pipeline</h2>
        <label className="kale-like-toggle">
          <input
            type="checkbox"
            role="switch"
            aria-label="Enable pipeline"
            checked={enabled}
            onChange={e => model.setEnabled(e.target.checked)}
          />
          Enable
        </label>
      </div>
      <p className="kale-like-muted kale-like-path" title={document.path}>
        {document.path}
      </p>
      {enabled ? (
        <EnabledView {...props} />
      ) : (
        <p className="kale-like-muted">
          Enable to tag cells as pipeline steps, preview the graph and run it.
        </p>
      )}
    </div>
  );
}

function EnabledView({ model, actions }: { model: PipelineModel; actions: IPanelActions }): JSX.Element {
  const run = model.run;
  const stepNames = run && run.order.length ? run.order : model.steps.map(s => s.name);
  const edges = model.analysis?.edges ?? [];
  const states = run ? Object.fromEntries(Object.entries(run.steps).map(([k, v]) => [k, v.state])) : undefined;
  const revealStep = (name: string) => {
    const step = model.steps.find(s => s.name === name);
    if (step?.cells.length) {
      model.revealCell(step.cells[0]);
    }
  };
  return (
    <>
      <Actions model={model} />
      {run && <RunSummary run={run} model={model} actions={actions} />}
      <Section title="Graph">
        {stepNames.length ? (
          <DagView steps={stepNames} edges={edges} states={states} onSelect={revealStep} />
        ) : (
          <p className="kale-like-muted">{model.analyzing ? 'Analyzing…' : 'No steps yet.'}</p>
        )}
      </Section>
      <Section title="Problems">
        <Diagnostics model={model} />
      </Section>
      <Section title="Steps">
        <StepList model={model} run={run} />
      </Section>
      {model.parameters.length > 0 && (
        <Section title="Parameters">
          <Parameters model={model} />
        </Section>
      )}
      <Section title="Settings">
        <PipelineSettings model={model} />
      </Section>
      <Section title="Backend">
        <BackendSettings settings={model.userSettings} backends={model.backends} save={actions.saveUserSettings} />
      </Section>
    </>
  );
}

function Section(props: { title: string; children: React.ReactNode }): JSX.Element {
  return (
    <section className="kale-like-section" aria-label={props.title}>
      <h3>{props.title}</h3>
      {props.children}
    </section>
  );
}

function Actions({ model }: { model: PipelineModel }): JSX.Element {
  const running = model.running;
  return (
    <div className="kale-like-actions">
      <button
        type="button"
        className="jp-mod-styled jp-mod-accept"
        disabled={running}
        onClick={() => void model.compileAndRun()}
      >
        Compile and Run
      </button>
      <button type="button" className="jp-mod-styled" disabled={running} onClick={() => void model.compileOnly()}>
        Compile only
      </button>
      <button
        type="button"
        className="jp-mod-styled jp-mod-warn"
        disabled={!running || model.run?.state === 'cancelling'}
        onClick={() => void model.cancel()}
      >
        Cancel
      </button>
      {model.notice && (
        <p className={`kale-like-notice kale-like-${model.notice.kind}`} role={model.notice.kind === 'error' ? 'alert' : 'status'}>
          {model.notice.text}
        </p>
      )}
    </div>
  );
}

function RunSummary(props: { run: IRunView; model: PipelineModel; actions: IPanelActions }): JSX.Element {
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
      {result?.ok && result.output_path && (
        <button type="button" className="kale-like-link" onClick={() => actions.openPath(result.output_path!)}>
          Open executed notebook
        </button>
      )}
      {result?.ok && result.output_url && (
        <a className="kale-like-link" href={result.output_url} target="_blank" rel="noreferrer">
          Open the run in Kubeflow Pipelines
        </a>
      )}
      {result && !result.ok && error && (
        <div className="kale-like-failure">
          <p>
            {error.step && (
              <>
                Step <strong>{error.step}</strong> failed
              </>
            )}
            {error.cell !== null && (
              <>
                {error.step ? ' in ' : 'In '}
                <button type="button" className="kale-like-link" onClick={() => model.revealCell(error.cell!)}>
                  cell {error.cell}
                  {error.line !== null && `, line ${error.line}`}
                </button>
              </>
            )}
          </p>
          <pre className="kale-like-error-message">{error.message}</pre>
          {error.traceback && (
            <details>
              <summary>Traceback</summary>
              <pre className="kale-like-traceback">{error.traceback}</pre>
            </details>
          )}
        </div>
      )}
    </div>
  );
}

function runTitle(run: IRunView): string {
  if (run.backend === 'kfp' && run.state === 'succeeded') {
    return 'Submitted to Kubeflow Pipelines';
  }
  switch (run.state) {
    case 'starting':
      return 'Starting…';
    case 'running':
      return 'Running…';
    case 'cancelling':
      return 'Cancelling…';
    case 'succeeded':
      return 'Run succeeded';
    case 'failed':
      return 'Run failed';
    case 'cancelled':
      return 'Run cancelled';
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

function StepList({ model, run }: { model: PipelineModel; run: IRunView | null }): JSX.Element {
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
          <li key={step.name} className="kale-like-step" aria-label={`Step ${step.name}`} data-step={step.name} data-state={state ?? ''}>
            <div className="kale-like-step-head">
              <span className="kale-like-swatch" style={{ backgroundColor: stepColor(step.name) }} />
              <strong>{step.name}</strong>
              <span className="kale-like-cells">
                {step.cells.map(cell => (
                  <button key={cell} type="button" className="kale-like-link" onClick={() => model.revealCell(cell)} aria-label={`Go to cell ${cell}`}>
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
              <div className="kale-like-io">
                in: {step.inputs.map(i => `${i.name} ← ${i.producer}`).join(', ')}
              </div>
            )}
            {step.outputs.length > 0 && <div className="kale-like-io">out: {step.outputs.join(', ')}</div>}
          </li>
        );
      })}
    </ul>
  );
}

function Diagnostics({ model }: { model: PipelineModel }): JSX.Element {
  const diagnostics = [...(model.analysis?.diagnostics ?? [])];
  const failure = model.analysisError;
  if (failure) {
    diagnostics.unshift(
      failure.diagnostic ?? { severity: 'error', message: failure.message, cell: null, line: null, step: null }
    );
  }
  if (!diagnostics.length) {
    return <p className="kale-like-muted">{model.analysis ? 'None found.' : '—'}</p>;
  }
  return (
    <ul className="kale-like-diagnostics">
      {diagnostics.map((d, i) => (
        <li key={i} className={`kale-like-diagnostic kale-like-${d.severity}`}>
          <span className="kale-like-severity">{d.severity === 'error' ? '✗' : '⚠'}</span>
          {d.cell !== null && (
            <button type="button" className="kale-like-link" onClick={() => model.revealCell(d.cell!)}>
              cell {d.cell}
              {d.line !== null && `:${d.line}`}
            </button>
          )}{' '}
          {d.message}
        </li>
      ))}
    </ul>
  );
}

function Parameters({ model }: { model: PipelineModel }): JSX.Element {
  const values = model.parameterValues;
  return (
    <div className="kale-like-form">
      {model.parameters.map(p => (
        <label key={p.name}>
          {p.name} <span className="kale-like-muted">({p.type})</span>
          <input
            aria-label={`Parameter ${p.name}`}
            value={values[p.name] ?? String(p.default)}
            onChange={e => model.setParameterValue(p.name, e.target.value)}
          />
        </label>
      ))}
    </div>
  );
}

function PipelineSettings({ model }: { model: PipelineModel }): JSX.Element {
  const meta = model.metadata;
  const defaults = model.analysis?.pipeline;
  const field = (label: string, key: 'pipeline_name' | 'description' | 'experiment' | 'base_image', placeholder = '') => (
    <label>
      {label}
      <input
        aria-label={label}
        value={meta[key]}
        placeholder={placeholder}
        onChange={e => model.updateMetadata({ [key]: e.target.value })}
      />
    </label>
  );
  return (
    <div className="kale-like-form">
      {field('Pipeline name', 'pipeline_name', defaults?.name ?? '')}
      {field('Description', 'description', defaults?.description ?? '')}
      {field('Experiment', 'experiment', defaults?.experiment ?? '')}
      {field('Base image', 'base_image', 'the image steps run in on Kubeflow')}
    </div>
  );
}

function BackendSettings(props: {
  settings: IUserSettings;
  backends: string[];
  save: (s: IUserSettings) => void;
}): JSX.Element {
  const { settings, save } = props;
  const kfpReady = props.backends.includes('kfp');
  const kfp = settings.kfp;
  const setKfp = (patch: Partial<IUserSettings['kfp']>) => save({ ...settings, kfp: { ...kfp, ...patch } });
  return (
    <div className="kale-like-form">
      <label>
        Run on
        <select
          aria-label="Backend"
          value={settings.backend}
          onChange={e => save({ ...settings, backend: e.target.value as IUserSettings['backend'] })}
        >
          <option value="local">Local</option>
          <option value="kfp" disabled={!kfpReady && settings.backend !== 'kfp'}>
            Kubeflow Pipelines{kfpReady ? '' : ' (server needs kale_like[kfp])'}
          </option>
        </select>
      </label>
      {settings.backend === 'kfp' && (
        <>
          <label>
            KFP host
            <input aria-label="KFP host" value={kfp.host} placeholder="https://…/pipeline" onChange={e => setKfp({ host: e.target.value })} />
          </label>
          <label>
            Namespace
            <input aria-label="KFP namespace" value={kfp.namespace} onChange={e => setKfp({ namespace: e.target.value })} />
          </label>
          <label>
            Authentication
            <select
              aria-label="KFP authentication"
              value={kfp.authMode}
              onChange={e => setKfp({ authMode: e.target.value as IUserSettings['kfp']['authMode'] })}
            >
              <option value="none">None (in-cluster or no auth)</option>
              <option value="token">Bearer token</option>
            </select>
          </label>
          {kfp.authMode === 'token' && (
            <label>
              Token
              <input aria-label="KFP token" type="password" value={kfp.token} onChange={e => setKfp({ token: e.target.value })} />
            </label>
          )}
          <p className="kale-like-muted">Stored in your JupyterLab settings, never in the notebook.</p>
        </>
      )}
    </div>
  );
}
