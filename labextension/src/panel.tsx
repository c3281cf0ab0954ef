/**
 * The left side panel: React components rendering a `PipelineModel`.
 * Every control has an accessible name; the UI test finds them by role and label.
 */
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IPanelActions } from './actions';
import { DagView } from './dag';
import { RunHistory } from './history';
import { SPLITS } from './document';
import { PipelineModel } from './model';
import { RunSummary, StepList } from './progress';
import { BackendSettings, Parameters, PipelineSettings } from './settingsforms';
import { SplitChoice } from './wire';

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
        <label className="kale-like-toggle" title="Use this notebook as a pipeline">
          <input type="checkbox" checked={enabled} onChange={e => model.setEnabled(e.target.checked)} />
          Enable
        </label>
      </div>
      <p className="kale-like-muted kale-like-path" title={document.path}>
        {document.path}
      </p>
      {enabled ? (
        <EnabledView {...props} />
      ) : (
        <p className="kale-like-muted">Enable to tag cells as pipeline steps, preview the graph and run it.</p>
      )}
    </div>
  );
}

function EnabledView({ model, actions }: { model: PipelineModel; actions: IPanelActions }): JSX.Element {
  const run = model.run;
  const stepNames = run && run.order.length ? run.order : model.steps.map(s => s.name);
  const edges = model.edges;
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
        <SplitChoiceView model={model} />
        {model.stale && stepNames.length > 0 && (
          <p className="kale-like-muted kale-like-stale">Last valid graph: fix the problem below to update it.</p>
        )}
        {stepNames.length ? (
          <DagView
            steps={stepNames}
            edges={edges}
            states={states}
            onSelect={revealStep}
            colorOf={n => model.colorOf(n)}
          />
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
      <Section title="Runs">
        <RunHistory model={model} actions={actions} />
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
        <BackendSettings
          settings={model.userSettings}
          backends={model.backends}
          choices={model.backendChoices}
          save={actions.saveUserSettings}
        />
      </Section>
    </>
  );
}

const SPLIT_LABELS: Record<SplitChoice, string> = {
  auto: 'Auto',
  tags: 'Step tags',
  headings: 'Markdown headings',
  cells: 'One step per cell'
};

function SplitChoiceView({ model }: { model: PipelineModel }): JSX.Element {
  const chosen = model.metadata.split;
  const effect = model.splitInEffect;
  return (
    <div className="kale-like-split">
      <label>
        Steps from
        <select
          aria-label="Split cells into steps by"
          value={chosen}
          onChange={e => model.updateMetadata({ split: e.target.value as SplitChoice })}
        >
          {SPLITS.map(split => (
            <option key={split} value={split}>
              {SPLIT_LABELS[split]}
            </option>
          ))}
        </select>
      </label>
      {effect && (
        <span className="kale-like-muted kale-like-split-effect" aria-label="Split in effect">
          {chosen === 'auto'
            ? `auto chose: ${SPLIT_LABELS[effect].toLowerCase()}`
            : `in effect: ${SPLIT_LABELS[effect].toLowerCase()}`}
        </span>
      )}
    </div>
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
        <p
          className={`kale-like-notice kale-like-${model.notice.kind}`}
          role={model.notice.kind === 'error' ? 'alert' : 'status'}
        >
          {model.notice.text}
        </p>
      )}
    </div>
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
            <button type="button" className="kale-like-link" onClick={() => model.revealCell(d.cell!, d.line)}>
              {d.where || `cell ${d.cell}${d.line !== null ? `, line ${d.line}` : ''}`}
            </button>
          )}{' '}
          {d.message}
        </li>
      ))}
    </ul>
  );
}
