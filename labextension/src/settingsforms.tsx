/**
 * The panel's forms: pipeline parameters for the next run, the pipeline settings kept
 * in the notebook, and the backend settings kept in the user's JupyterLab settings.
 */
import * as React from 'react';

import { PipelineModel } from './model';
import { IBackendChoice, IUserSettings } from './wire';

export function Parameters({ model }: { model: PipelineModel }): JSX.Element {
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

export function PipelineSettings({ model }: { model: PipelineModel }): JSX.Element {
  const meta = model.metadata;
  const defaults = model.analysis?.pipeline;
  const field = (
    label: string,
    key: 'pipeline_name' | 'description' | 'experiment' | 'base_image',
    placeholder = ''
  ) => (
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

export function BackendSettings(props: {
  settings: IUserSettings;
  backends: string[];
  /** The server's registry: each backend's label, and what a missing one needs. */
  choices: IBackendChoice[];
  save: (s: IUserSettings) => void;
}): JSX.Element {
  const { settings, save } = props;
  const kfp = settings.kfp;
  const setKfp = (patch: Partial<IUserSettings['kfp']>) => save({ ...settings, kfp: { ...kfp, ...patch } });
  return (
    <div className="kale-like-form">
      <label>
        Run on
        <select
          aria-label="Backend"
          value={settings.backend}
          onChange={e => save({ ...settings, backend: e.target.value })}
        >
          {props.choices.map(choice => {
            const ready = props.backends.includes(choice.name);
            return (
              <option key={choice.name} value={choice.name} disabled={!ready && settings.backend !== choice.name}>
                {choice.label}
                {ready ? '' : ` (server needs ${choice.needs || 'more packages'})`}
              </option>
            );
          })}
        </select>
      </label>
      {settings.backend === 'kfp' && (
        <>
          <label>
            KFP host
            <input
              aria-label="KFP host"
              value={kfp.host}
              placeholder="https://…/pipeline"
              onChange={e => setKfp({ host: e.target.value })}
            />
          </label>
          <label>
            Namespace
            <input
              aria-label="KFP namespace"
              value={kfp.namespace}
              onChange={e => setKfp({ namespace: e.target.value })}
            />
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
              <input
                aria-label="KFP token"
                type="password"
                value={kfp.token}
                onChange={e => setKfp({ token: e.target.value })}
              />
            </label>
          )}
          <p className="kale-like-muted">Stored in your JupyterLab settings, never in the notebook.</p>
        </>
      )}
    </div>
  );
}
