/**
 * The cell-tag grammar, as the tag editor reads and writes it.
 *
 * The grammar is data shared with the CLI (`kale_like/notebook/tag_grammar.json`, read
 * through `taggrammar.ts`): a notebook tagged here compiles identically from the command
 * line, and a tag the CLI would refuse is listed in `problems` with the CLI's words.
 * Tags this editor does not manage (`request:`, `env:`, `secret:`, `hide-input`, …) are
 * kept untouched, in order.
 */
import {
  FRAGMENTS,
  GPU_KEYS,
  IWordRule,
  ITagRule,
  NO_TAG,
  ruleOf,
  TAG_RULES,
  WORD_CONFLICT,
  WORD_RULES,
  whyInvalid,
  wordFor
} from './taggrammar';

export { GPU_KEYS };

export type CellRole = 'none' | 'step' | 'imports' | 'functions' | 'parameters' | 'metrics' | 'skip';

export const ROLES: ReadonlyArray<{ role: CellRole; label: string }> = [
  { role: 'none', label: '—' },
  { role: 'step', label: 'Step' },
  { role: 'imports', label: 'Imports' },
  { role: 'functions', label: 'Functions' },
  { role: 'parameters', label: 'Parameters' },
  { role: 'metrics', label: 'Metrics' },
  { role: 'skip', label: 'Skip' }
];

export const STEP_NAME = FRAGMENTS.step_name;
const QUANTITY = FRAGMENTS.quantity;
const IMAGE_REF = FRAGMENTS.image_ref;

/** Prefixes whose value is a step name (`step:`, `block:`, `prev:`): a bad one gets a one-click fix. */
const NAMED_PREFIXES = [...TAG_RULES.values()].filter(r => r.field === 'step' || r.field === 'prev').map(r => r.prefix);

const ROLE_OF_TAG: Record<string, CellRole> = Object.fromEntries(
  [...WORD_RULES.values()].filter(w => w.field === 'role').map(w => [w.tag, w.value as CellRole])
);

/** A tag the CLI would refuse, with the CLI's words for why. */
export interface ITagProblem {
  tag: string;
  message: string;
}

/** The step settings the dialog edits; each maps to one tag. */
export interface IStepSettings {
  image?: string;
  cpu?: string;
  memory?: string;
  gpu?: string;
  gpuKey?: string;
  cache?: 'enabled' | 'disabled';
  retries?: number;
}

/** One cell's tags, split into what the editor manages and the rest. */
export interface ICellTags {
  role: CellRole;
  step: string | null;
  prev: string[];
  settings: IStepSettings;
  /** Tags kept as they are. */
  other: string[];
  /** `step:`/`prev:` tags whose name the CLI would refuse (`step:clean data`). */
  invalid: string[];
  /** `parameters` (papermill) or `pipeline-parameters`: kept as the user wrote it. */
  parametersTag: string;
  /** Every tag the CLI would refuse (`invalid` ones included), in order. */
  problems: ITagProblem[];
}

export function readCellTags(tags: ReadonlyArray<string>): ICellTags {
  const parsed: ICellTags = {
    role: 'none',
    step: null,
    prev: [],
    settings: {},
    other: [],
    invalid: [],
    parametersTag: 'pipeline-parameters',
    problems: tagProblems(tags)
  };
  for (const raw of tags) {
    const tag = String(raw).trim();
    if (tag && !NO_TAG.has(tag)) {
      readOne(tag, parsed);
    }
  }
  return parsed;
}

function readOne(tag: string, into: ICellTags): void {
  if (tag in ROLE_OF_TAG) {
    into.role = ROLE_OF_TAG[tag];
    if (into.role === 'parameters') {
      into.parametersTag = tag;
    }
    return;
  }
  const colon = tag.indexOf(':');
  const prefix = colon < 0 ? tag : tag.slice(0, colon);
  const rest = colon < 0 ? '' : tag.slice(colon + 1);
  const rule = colon < 0 ? undefined : TAG_RULES.get(prefix);
  const valid = rule !== undefined && rule.pattern.test(rest);
  if (rule?.field === 'step' && valid) {
    // A role word on the same cell wins over its step tag, in either order (as the CLI reads it).
    if (into.role === 'none') {
      into.role = 'step';
    }
    into.step = rest;
  } else if (rule?.field === 'prev' && valid) {
    if (!into.prev.includes(rest)) {
      into.prev.push(rest);
    }
  } else if (NAMED_PREFIXES.includes(prefix) && colon >= 0) {
    into.invalid.push(tag);
  } else if (!readSetting(prefix, rest, into.settings)) {
    into.other.push(tag);
  }
}

/** The settings the dialog edits. Read leniently (`image:` takes any value) so that saving the dialog replaces a bad one. */
function readSetting(prefix: string, rest: string, settings: IStepSettings): boolean {
  if (prefix === 'image' && rest) {
    settings.image = rest;
    return true;
  }
  if (prefix === 'cache' && TAG_RULES.get('cache')?.pattern.test(rest)) {
    settings.cache = rest as IStepSettings['cache'];
    return true;
  }
  if (prefix === 'retries' && TAG_RULES.get('retries')?.pattern.test(rest)) {
    settings.retries = Number(rest);
    return true;
  }
  if (prefix !== 'limit') {
    return false;
  }
  const cut = rest.lastIndexOf(':');
  const key = rest.slice(0, cut);
  const value = rest.slice(cut + 1);
  if (cut < 0 || !value) {
    return false;
  }
  if (key === 'cpu' || key === 'memory') {
    settings[key] = value;
    return true;
  }
  if (GPU_KEYS.includes(key)) {
    settings.gpu = value;
    settings.gpuKey = key;
    return true;
  }
  return false;
}

/** The tags for `state`, in a fixed order: role, step, prev, settings, then the rest. */
export function writeCellTags(state: ICellTags): string[] {
  const tags: string[] = [];
  if (state.role === 'step' && state.step) {
    tags.push(`step:${state.step}`);
    tags.push(...state.prev.map(name => `prev:${name}`));
    tags.push(...settingsTags(state.settings));
  } else if (state.role === 'parameters') {
    tags.push(state.parametersTag);
  } else if (state.role !== 'none' && state.role !== 'step') {
    tags.push(wordFor('role', state.role) ?? state.role);
  }
  for (const tag of [...state.other, ...state.invalid]) {
    if (!tags.includes(tag)) {
      tags.push(tag);
    }
  }
  return tags;
}

function settingsTags(settings: IStepSettings): string[] {
  const tags: string[] = [];
  if (settings.image) {
    tags.push(`image:${settings.image}`);
  }
  if (settings.cpu) {
    tags.push(`limit:cpu:${settings.cpu}`);
  }
  if (settings.memory) {
    tags.push(`limit:memory:${settings.memory}`);
  }
  if (settings.gpu) {
    tags.push(`limit:${settings.gpuKey || GPU_KEYS[0]}:${settings.gpu}`);
  }
  if (settings.cache) {
    tags.push(`cache:${settings.cache}`);
  }
  if (settings.retries !== undefined && settings.retries > 0) {
    tags.push(`retries:${settings.retries}`);
  }
  return tags;
}

/** What a step cell loses when it becomes another role, to give back when it returns. */
export interface IRememberedStep {
  step: string;
  prev: string[];
  settings: IStepSettings;
}

/** The step part of a cell's tags, or null when the cell is not a step. */
export function rememberStep(tags: ReadonlyArray<string>): IRememberedStep | null {
  const state = readCellTags(tags);
  return state.role === 'step' && state.step
    ? { step: state.step, prev: [...state.prev], settings: { ...state.settings } }
    : null;
}

/**
 * Give the cell a role. A step keeps (or gets) a name; other roles drop step tags.
 * Choosing a role replaces an invalid `step:` tag rather than adding one beside it.
 * `remembered` (what the cell had when it last was a step) comes back with the role.
 */
export function withRole(
  tags: ReadonlyArray<string>,
  role: CellRole,
  stepName?: string,
  remembered?: IRememberedStep | null
): string[] {
  const state = { ...readCellTags(tags), invalid: [], problems: [] };
  if (role === 'step') {
    const name = stepName ?? state.step ?? remembered?.step;
    if (!name || !STEP_NAME.test(name)) {
      throw new Error(stepNameProblem(name ?? ''));
    }
    const back = state.role !== 'step' && remembered && remembered.step === name ? remembered : null;
    return writeCellTags({
      ...state,
      role,
      step: name,
      prev: back ? [...back.prev] : state.prev,
      settings: back ? { ...back.settings } : state.settings
    });
  }
  return writeCellTags({ ...state, role, step: null, prev: [], settings: {} });
}

/** A valid step name made from `text`: other characters become '_'. */
export function toStepName(text: string): string {
  let name = text
    .trim()
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .replace(/^_+(?=.)/, '');
  if (!/^[A-Za-z_]/.test(name)) {
    name = `step_${name}`;
  }
  return name.slice(0, 63);
}

/** Replace one invalid `step:`/`prev:` tag by its nearest valid form (`step:clean data` → `step:clean_data`). */
export function fixInvalidTag(tags: ReadonlyArray<string>, invalid: string): string[] {
  const colon = invalid.indexOf(':');
  const prefix = invalid.slice(0, colon) === 'prev' ? 'prev' : 'step';
  const fixed = `${prefix}:${toStepName(invalid.slice(colon + 1))}`;
  const out: string[] = [];
  for (const tag of tags) {
    const next = String(tag).trim() === invalid ? fixed : String(tag);
    if (!out.includes(next)) {
      out.push(next);
    }
  }
  return out;
}

/**
 * Rename step `from` to `to` in one cell's tags: its `step:` tag and any `prev:`
 * naming it. Applied to every cell, a rename keeps the graph whole.
 */
export function renameStepInTags(tags: ReadonlyArray<string>, from: string, to: string): string[] {
  const out: string[] = [];
  for (const raw of tags) {
    const tag = String(raw).trim();
    let next = String(raw);
    if (tag === `step:${from}` || tag === `block:${from}`) {
      next = `step:${to}`;
    } else if (tag === `prev:${from}`) {
      next = `prev:${to}`;
    }
    if (!out.includes(next)) {
      out.push(next);
    }
  }
  return out;
}

export function withStepName(tags: ReadonlyArray<string>, name: string): string[] {
  return withRole(tags, 'step', name);
}

export function withPrev(tags: ReadonlyArray<string>, prev: ReadonlyArray<string>): string[] {
  const state = readCellTags(tags);
  if (state.role !== 'step') {
    throw new Error('only a step can depend on other steps: set the cell role to Step first');
  }
  const unique = prev.filter((name, i) => STEP_NAME.test(name) && prev.indexOf(name) === i);
  return writeCellTags({ ...state, prev: unique });
}

export function withSettings(tags: ReadonlyArray<string>, settings: IStepSettings): string[] {
  const state = readCellTags(tags);
  if (state.role !== 'step') {
    throw new Error('step settings need a step: set the cell role to Step first');
  }
  const problem = settingsProblem(settings);
  if (problem) {
    throw new Error(problem);
  }
  return writeCellTags({ ...state, settings: { ...settings } });
}

/** Why `name` cannot be a step name, or '' when it can. */
export function stepNameProblem(name: string): string {
  if (STEP_NAME.test(name)) {
    return '';
  }
  if (!name) {
    return 'a step needs a name';
  }
  return `'${name}' is not a step name: start with a letter or '_', then letters, digits, '_' or '-' (at most 63)`;
}

/** Why `settings` would not make valid tags, or '' when they would. */
export function settingsProblem(settings: IStepSettings): string {
  if (settings.image && !IMAGE_REF.test(settings.image)) {
    return `'${settings.image}' is not a container image reference`;
  }
  for (const key of ['cpu', 'memory', 'gpu'] as const) {
    const value = settings[key];
    if (value && !QUANTITY.test(value)) {
      return `${key}: '${value}' is not a quantity (e.g. 500m, 2, 4Gi)`;
    }
  }
  const retries = settings.retries;
  if (retries !== undefined && (!Number.isInteger(retries) || retries < 0)) {
    return 'retries must be a whole number (0 or more)';
  }
  return '';
}

/**
 * Step names written in tags, in notebook order, with the index of the first
 * cell of each: what the tag editor offers for autocompletion and "depends on".
 */
export function stepsInTags(cells: ReadonlyArray<ReadonlyArray<string>>): Map<string, number> {
  const first = new Map<string, number>();
  cells.forEach((tags, index) => {
    const { step } = readCellTags(tags);
    if (step && !first.has(step)) {
      first.set(step, index);
    }
  });
  return first;
}

/**
 * The tags of one cell the CLI would refuse, with its message for each (what
 * `kale_like.notebook.tags.parse_tags` raises, without the cell number): a value the
 * grammar's pattern refuses, or a second step or role on the cell.
 */
export function tagProblems(tags: ReadonlyArray<string>): ITagProblem[] {
  const problems: ITagProblem[] = [];
  const once = new Map<string, string | boolean>();
  for (const raw of tags) {
    const tag = String(raw).trim();
    const rule = tag && !NO_TAG.has(tag) ? ruleOf(tag) : null;
    if (!rule) {
      continue;
    }
    const value = 'tag' in rule ? rule.value : tag.slice(tag.indexOf(':') + 1);
    if (!('tag' in rule) && !rule.pattern.test(value as string)) {
      problems.push({ tag, message: `invalid tag '${tag}': ${whyInvalid(rule, value as string)}` });
      continue;
    }
    const old = once.get(rule.field);
    if (rule.repeat === 'once' && old !== undefined && old !== value) {
      problems.push({ tag, message: conflict(rule, String(old), tag) });
    } else if (rule.repeat === 'once') {
      once.set(rule.field, value);
    }
  }
  return problems;
}

function conflict(rule: ITagRule | IWordRule, old: string, tag: string): string {
  if ('tag' in rule) {
    return WORD_CONFLICT.replace('{old}', old).replace('{tag}', tag);
  }
  return `invalid tag '${tag}': ${(rule.conflict ?? '').replace('{old}', old).replace('{tag}', tag)}`;
}
