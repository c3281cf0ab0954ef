/**
 * The tag grammar as data: `kale_like/notebook/tag_grammar.json`, the same file the
 * Python parser reads (`kale_like/notebook/tag_grammar.py`), imported here so that the
 * panel checks, explains and completes exactly the tags the CLI accepts.
 */
import grammar from '../../kale_like/notebook/tag_grammar.json';

export type Repeat = 'list' | 'once' | 'last';

/** One `:`-separated part of a value (`KEY` of `limit:KEY:VALUE`). */
export interface ITagPart {
  name: string;
  pattern: RegExp;
  /** Said when this part is wrong ('{}' is the part); absent: the rule's own error. */
  error?: string;
}

/** `PREFIX:VALUE` tags: what the value must look like and which field it sets. */
export interface ITagRule {
  prefix: string;
  field: string;
  kind: string;
  repeat: Repeat;
  split: string;
  parts: ITagPart[];
  /** The whole value, one group per part. */
  pattern: RegExp;
  error: string;
  conflict?: string;
  help: string;
  example: string;
}

/** A tag that is one word (`imports`, `raises-exception`). */
export interface IWordRule {
  tag: string;
  field: string;
  value: string | boolean;
  repeat: Repeat;
  help: string;
}

interface IRawPart {
  name: string;
  pattern: string;
  error?: string;
}

interface IRawRule extends Omit<ITagRule, 'parts' | 'pattern' | 'repeat'> {
  repeat: string;
  parts: IRawPart[];
}

interface IRawGrammar {
  fragments: Record<string, string>;
  no_tag: string[];
  accelerators: string[];
  words: Array<Omit<IWordRule, 'repeat'> & { repeat: string }>;
  word_conflict: string;
  prefixes: IRawRule[];
}

const RAW = grammar as IRawGrammar;

function expand(pattern: string): string {
  return pattern.replace(/\$\{(\w+)\}/g, (_, name: string) => RAW.fragments[name]);
}

/** `pattern` matching a whole string, as Python's `re.fullmatch` does. */
function whole(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
}

function compileRule(raw: IRawRule): ITagRule {
  const parts = raw.parts.map(p => ({ name: p.name, pattern: whole(expand(p.pattern)), error: p.error }));
  const value = raw.parts.map(p => `(${expand(p.pattern)})`).join(':');
  return { ...raw, repeat: raw.repeat as Repeat, parts, pattern: whole(value) };
}

/** The grammar's named patterns (`step_name`, `quantity`, `image_ref`, …), each matching a whole string. */
export const FRAGMENTS: Readonly<Record<string, RegExp>> = Object.fromEntries(
  Object.entries(RAW.fragments).map(([name, pattern]) => [name, whole(pattern)])
);

/** Tags that are no tag (Kale's panel leaves `block:` on a cell whose step name was cleared). */
export const NO_TAG: ReadonlySet<string> = new Set(RAW.no_tag);

/** The `limit:` keys that ask for a GPU (the first is the one the settings dialog offers first). */
export const GPU_KEYS: ReadonlyArray<string> = RAW.accelerators;

/** Two words setting one field to different values (`imports` and `skip`). */
export const WORD_CONFLICT = RAW.word_conflict;

export const WORD_RULES: ReadonlyMap<string, IWordRule> = new Map(
  RAW.words.map(w => [w.tag, { ...w, repeat: w.repeat as Repeat }])
);

export const TAG_RULES: ReadonlyMap<string, ITagRule> = new Map(RAW.prefixes.map(p => [p.prefix, compileRule(p)]));

/** `value` cut into the rule's parts, or null when it has the wrong number of ':'. */
function splitValue(rule: ITagRule, value: string): string[] | null {
  const count = rule.parts.length;
  if (rule.split === 'none') {
    return [value];
  }
  if (rule.split === 'all') {
    const pieces = value.split(':');
    return pieces.length === count ? pieces : null;
  }
  const pieces: string[] = [];
  let rest = value;
  while (pieces.length < count - 1) {
    const cut = rule.split === 'first' ? rest.indexOf(':') : rest.lastIndexOf(':');
    if (cut < 0) {
      return null;
    }
    if (rule.split === 'first') {
      pieces.push(rest.slice(0, cut));
      rest = rest.slice(cut + 1);
    } else {
      pieces.unshift(rest.slice(cut + 1));
      rest = rest.slice(0, cut);
    }
  }
  return rule.split === 'first' ? [...pieces, rest] : [rest, ...pieces];
}

/** What is wrong with `value`, which the rule's pattern refused: its first wrong part, if it can say. */
export function whyInvalid(rule: ITagRule, value: string): string {
  const pieces = splitValue(rule, value);
  if (pieces === null || pieces.some(piece => !piece)) {
    return rule.error;
  }
  for (let i = 0; i < pieces.length; i++) {
    const part = rule.parts[i];
    if (!part.pattern.test(pieces[i])) {
      return part.error ? part.error.replace('{}', pieces[i]) : rule.error;
    }
  }
  return rule.error;
}

/** The grammar's rule for `tag`, or null when the tag belongs to another tool. */
export function ruleOf(tag: string): ITagRule | IWordRule | null {
  const word = WORD_RULES.get(tag);
  if (word) {
    return word;
  }
  const colon = tag.indexOf(':');
  return colon < 0 ? null : (TAG_RULES.get(tag.slice(0, colon)) ?? null);
}

/** The rule's spelling (`limit:KEY:VALUE`) and help, as tooltips and completions show it. */
export function describeRule(rule: ITagRule | IWordRule): string {
  if ('tag' in rule) {
    return `${rule.tag}: ${rule.help}`;
  }
  const spelling = [rule.prefix, ...rule.parts.map(p => p.name)].join(':');
  return `${spelling}: ${rule.help} (e.g. ${rule.example})`;
}

/** Tags of the grammar that start with `text`, with their help: what a tag input offers. */
export function completeTag(text: string): Array<{ tag: string; help: string }> {
  const typed = text.trim();
  const words = [...WORD_RULES.values()].map(w => ({ tag: w.tag, help: describeRule(w) }));
  const prefixes = [...TAG_RULES.values()].map(r => ({ tag: `${r.prefix}:`, help: describeRule(r) }));
  return [...words, ...prefixes].filter(c => c.tag.startsWith(typed));
}

/** The spelling of a word-field value written by the panel: the first word of the grammar that sets it. */
export function wordFor(field: string, value: string | boolean): string | null {
  const word = [...WORD_RULES.values()].find(w => w.field === field && w.value === value);
  return word ? word.tag : null;
}
