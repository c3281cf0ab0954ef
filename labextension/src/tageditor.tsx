/**
 * The compact bar above each code cell: the cell's role, its step name (with
 * autocompletion), what it depends on, and a button for the step settings dialog.
 * It edits the cell's tags only, through the functions in `tags.ts`.
 */
import * as React from 'react';

import { stepColor } from './colors';
import { useDismiss } from './dismiss';
import {
  CellRole,
  fixInvalidTag,
  IRememberedStep,
  readCellTags,
  rememberStep,
  ROLES,
  stepNameProblem,
  toStepName,
  withPrev,
  withRole
} from './tags';
import { describeRule, ruleOf } from './taggrammar';

export interface ITagEditorProps {
  tags: string[];
  /** 1-based cell number, used in labels. */
  cell: number;
  /** Steps that start before this cell: what it may depend on. */
  earlierSteps: string[];
  /** Every step name in the notebook, for autocompletion. */
  knownSteps: string[];
  /** The step this cell ends up in (from the analysis), tagged or not. */
  effectiveStep: string | null;
  onChange: (tags: string[]) => void;
  /** Rename the cell's step: everywhere from its first cell, else split this cell off (`renameStepAt`). */
  onRename?: (from: string, to: string) => void;
  onEditSettings: () => void;
  /** The step's colour in this notebook (neighbours differ); a hash colour otherwise. */
  colorOf?: (step: string) => string;
}

export function TagEditor(props: ITagEditorProps): JSX.Element {
  const parsed = readCellTags(props.tags);
  const [draft, setDraft] = React.useState<string | null>(null);
  const [problem, setProblem] = React.useState('');
  const name = draft ?? parsed.step ?? '';
  const listId = `kale-like-steps-${props.cell}`;
  const colorOf = props.colorOf ?? stepColor;
  // What the cell had as a step, so that Skip (or any role) and back restores it.
  const remembered = React.useRef<IRememberedStep | null>(rememberStep(props.tags));
  const current = rememberStep(props.tags);
  if (current) {
    remembered.current = current;
  }

  const apply = (change: () => string[]): void => {
    try {
      props.onChange(change());
      setProblem('');
    } catch (error) {
      setProblem((error as Error).message);
    }
  };
  const chooseRole = (role: CellRole): void => {
    const suggested =
      parsed.step ??
      remembered.current?.step ??
      invalidName(parsed.invalid) ??
      suggestName(props.effectiveStep, props.cell);
    apply(() => withRole(props.tags, role, role === 'step' ? suggested : undefined, remembered.current));
  };
  const commitName = (): void => {
    if (draft === null || draft === parsed.step) {
      setDraft(null);
      return;
    }
    const why = stepNameProblem(draft);
    if (why) {
      setProblem(why);
      return;
    }
    setDraft(null);
    if (parsed.step && props.onRename) {
      props.onRename(parsed.step, draft);
      setProblem('');
      return;
    }
    apply(() => withRole(props.tags, 'step', draft));
  };
  const shown = parsed.role === 'step' ? parsed.step : props.effectiveStep;

  return (
    <div className="kale-like-tagbar" aria-label={`Pipeline tags of cell ${props.cell}`} role="group">
      {shown && (
        <span className="kale-like-chip" style={{ backgroundColor: colorOf(shown) }} title={`step ${shown}`}>
          {shown}
        </span>
      )}
      {parsed.invalid.map(tag => (
        <span key={tag} className="kale-like-invalid-tag" role="note" aria-label={`Invalid tag ${tag}`}>
          <span title={stepNameProblem(tag.slice(tag.indexOf(':') + 1))}>invalid tag “{tag}”</span>
          <button
            type="button"
            className="kale-like-small-button"
            onClick={() => apply(() => fixInvalidTag(props.tags, tag))}
          >
            Fix: {tag.slice(0, tag.indexOf(':') + 1)}
            {toStepName(tag.slice(tag.indexOf(':') + 1))}
          </button>
        </span>
      ))}
      {parsed.problems
        .filter(p => !parsed.invalid.includes(p.tag))
        .map(p => (
          <span key={p.tag} className="kale-like-invalid-tag" role="note" aria-label={`Invalid tag ${p.tag}`}>
            <span title={helpOf(p.tag)}>{p.message}</span>
          </span>
        ))}
      <select
        aria-label="Cell role"
        className="kale-like-role"
        value={parsed.role}
        onChange={e => chooseRole(e.target.value as CellRole)}
      >
        {ROLES.map(r => (
          <option key={r.role} value={r.role}>
            {r.role === 'none' ? (props.effectiveStep ? 'Auto' : '—') : r.label}
          </option>
        ))}
      </select>
      {parsed.role === 'step' && (
        <>
          <input
            aria-label="Step name"
            className={problem ? 'kale-like-step-name kale-like-invalid' : 'kale-like-step-name'}
            list={listId}
            value={name}
            spellCheck={false}
            onChange={e => setDraft(e.target.value)}
            onBlur={commitName}
            onKeyDown={e => {
              e.stopPropagation();
              if (e.key === 'Enter') {
                commitName();
              } else if (e.key === 'Escape') {
                setDraft(null);
                setProblem('');
              }
            }}
          />
          <datalist id={listId}>
            {props.knownSteps.map(s => (
              <option key={s} value={s} />
            ))}
          </datalist>
          <DependsOn
            selected={parsed.prev}
            choices={props.earlierSteps.filter(s => s !== parsed.step)}
            onChange={prev => apply(() => withPrev(props.tags, prev))}
          />
          <button
            type="button"
            className="kale-like-small-button"
            onClick={props.onEditSettings}
            aria-label="Step settings"
            title="Step settings"
          >
            ⚙
          </button>
        </>
      )}
      {problem && (
        <span className="kale-like-problem" role="alert">
          {problem}
        </span>
      )}
    </div>
  );
}

function DependsOn(props: { selected: string[]; choices: string[]; onChange: (prev: string[]) => void }): JSX.Element {
  const [open, setOpen] = React.useState(false);
  const box = React.useRef<HTMLSpanElement>(null);
  useDismiss(open, box, () => setOpen(false));
  const all = Array.from(new Set([...props.choices, ...props.selected]));
  const toggle = (name: string, on: boolean): void => {
    props.onChange(on ? [...props.selected, name] : props.selected.filter(s => s !== name));
  };
  return (
    <span className="kale-like-depends" ref={box}>
      <button
        type="button"
        className="kale-like-small-button"
        aria-expanded={open}
        aria-label="Depends on"
        onClick={() => setOpen(!open)}
      >
        depends on{props.selected.length ? `: ${props.selected.join(', ')}` : ''} ▾
      </button>
      {open && (
        <span className="kale-like-depends-menu" role="group" aria-label="Earlier steps">
          {all.length === 0 && <span className="kale-like-muted">no earlier steps</span>}
          {all.map(name => (
            <label key={name}>
              <input
                type="checkbox"
                checked={props.selected.includes(name)}
                onChange={e => toggle(name, e.target.checked)}
              />
              {name}
            </label>
          ))}
        </span>
      )}
    </span>
  );
}

function invalidName(invalid: string[]): string | null {
  const step = invalid.find(t => !t.startsWith('prev:'));
  return step ? toStepName(step.slice(step.indexOf(':') + 1)) : null;
}

function suggestName(effective: string | null, cell: number): string {
  return effective && !stepNameProblem(effective) ? effective : `step_${cell}`;
}

/** The grammar's spelling and help for the tag, as a tooltip. */
function helpOf(tag: string): string {
  const rule = ruleOf(tag);
  return rule ? describeRule(rule) : '';
}
