/** The step settings dialog: image, resources, cache and retries, as step tags. */
import { Dialog, ReactWidget, showDialog } from '@jupyterlab/apputils';
import * as React from 'react';

import { describeRule, TAG_RULES } from './taggrammar';
import { GPU_KEYS, IStepSettings, settingsProblem } from './tags';

/** The grammar's help for the tag a field writes, as its tooltip. */
function helpOf(prefix: string): string {
  const rule = TAG_RULES.get(prefix);
  return rule ? describeRule(rule) : '';
}

class StepSettingsBody extends ReactWidget implements Dialog.IBodyWidget<IStepSettings> {
  constructor(private _value: IStepSettings) {
    super();
    this.addClass('kale-like-settings-dialog');
  }

  getValue(): IStepSettings {
    return this._value;
  }

  protected render(): JSX.Element {
    return <StepSettingsForm initial={this._value} onChange={v => (this._value = v)} />;
  }
}

export function StepSettingsForm(props: {
  initial: IStepSettings;
  onChange: (value: IStepSettings) => void;
}): JSX.Element {
  const [value, setValue] = React.useState<IStepSettings>(props.initial);
  const update = (patch: Partial<IStepSettings>): void => {
    const next = { ...value, ...patch };
    setValue(next);
    props.onChange(next);
  };
  const text = (label: string, key: 'image' | 'cpu' | 'memory' | 'gpu', placeholder: string) => (
    <label title={helpOf(key === 'image' ? 'image' : 'limit')}>
      {label}
      <input
        aria-label={label}
        value={value[key] ?? ''}
        placeholder={placeholder}
        onChange={e => update({ [key]: e.target.value.trim() || undefined })}
      />
    </label>
  );
  const problem = settingsProblem(value);
  return (
    <div className="kale-like-form">
      {text('Image', 'image', 'the pipeline base image')}
      {text('CPU limit', 'cpu', 'e.g. 500m or 2')}
      {text('Memory limit', 'memory', 'e.g. 2Gi')}
      {text('GPUs', 'gpu', 'e.g. 1')}
      <label>
        GPU type
        <select
          aria-label="GPU type"
          value={value.gpuKey ?? GPU_KEYS[0]}
          onChange={e => update({ gpuKey: e.target.value })}
        >
          {GPU_KEYS.map(k => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
      </label>
      <label title={helpOf('cache')}>
        Cache
        <select
          aria-label="Cache"
          value={value.cache ?? ''}
          onChange={e => update({ cache: (e.target.value || undefined) as IStepSettings['cache'] })}
        >
          <option value="">default</option>
          <option value="enabled">enabled</option>
          <option value="disabled">disabled</option>
        </select>
      </label>
      <label title={helpOf('retries')}>
        Retries
        <input
          aria-label="Retries"
          type="number"
          min={0}
          value={value.retries ?? ''}
          onChange={e => update({ retries: e.target.value === '' ? undefined : Number(e.target.value) })}
        />
      </label>
      {problem && (
        <p className="kale-like-problem" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}

/** Ask for a step's settings; resolves with the new settings, or null if cancelled. */
export async function editStepSettings(step: string, current: IStepSettings): Promise<IStepSettings | null> {
  const result = await showDialog<IStepSettings>({
    title: `Settings of step ${step}`,
    body: new StepSettingsBody({ ...current }),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Save' })]
  });
  return result.button.accept ? result.value : null;
}
