// @vitest-environment jsdom
import * as React from 'react';
import { act } from 'react';
import { createRoot } from 'react-dom/client';

import grammar from '../../../kale_like/notebook/tag_grammar.json';
import { TagEditor } from '../tageditor';
import { completeTag, describeRule, ruleOf, TAG_RULES, WORD_RULES, whyInvalid } from '../taggrammar';
import { tagProblems } from '../tags';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

describe("the grammar the panel reads is the CLI's file", () => {
  it('has a rule for every prefix and word of tag_grammar.json', () => {
    expect([...TAG_RULES.keys()]).toEqual(grammar.prefixes.map(p => p.prefix));
    expect([...WORD_RULES.keys()]).toEqual(grammar.words.map(w => w.tag));
  });

  it('matches whole values only', () => {
    const limit = TAG_RULES.get('limit')!;
    expect(limit.pattern.test('memory:2Gi')).toBe(true);
    expect(limit.pattern.test('memory:2Gi ')).toBe(false);
    expect(limit.pattern.test('x memory:2Gi')).toBe(false);
    expect(TAG_RULES.get('timeout')!.pattern.test('0')).toBe(false);
    expect(TAG_RULES.get('env')!.pattern.test('A:multi\nline')).toBe(true);
  });

  it.each([
    ['limit', 'memory', 'expected KEY:VALUE'],
    ['limit', 'memory:lots', "'lots' is not a valid quantity (e.g. 500m, 2, 4Gi)"],
    ['limit', 'Bad_Key_/x:1', "'Bad_Key_/x' is not a valid key"],
    ['limit', ':1', 'expected KEY:VALUE'],
    ['secret', 'a:b', 'expected secret:SECRET_NAME:KEY:ENV_VAR'],
    ['annotation', '-x:1', 'expected annotation:KEY:VALUE']
  ])('says what is wrong with %s:%s', (prefix, value, why) => {
    expect(whyInvalid(TAG_RULES.get(prefix)!, value)).toBe(why);
  });
});

describe('help and completion come from the grammar', () => {
  it('describes a prefix with its parts, help and example', () => {
    expect(describeRule(ruleOf('limit:cpu:x')!)).toBe(
      'limit:KEY:VALUE: resource limit of the step (e.g. limit:memory:2Gi)'
    );
    expect(describeRule(ruleOf('skip')!)).toContain('left out');
    expect(ruleOf('hide-input')).toBeNull();
    expect(ruleOf('papermill:x')).toBeNull();
  });

  it("completes what was typed to the grammar's tags", () => {
    expect(completeTag('re').map(c => c.tag)).toEqual(['request:', 'retries:']);
    expect(completeTag('pipeline').map(c => c.tag)).toEqual(['pipeline-parameters', 'pipeline-metrics']);
    expect(completeTag('').length).toBe(grammar.prefixes.length + grammar.words.length);
    expect(completeTag('zzz')).toEqual([]);
  });

  it('lists every refused tag, a second step and a second role included', () => {
    expect(tagProblems(['step:a', 'limit:cpu', 'hide-input', 'block:b', 'imports', 'skip']).map(p => p.tag)).toEqual([
      'limit:cpu',
      'block:b',
      'skip'
    ]);
    expect(tagProblems(['step:a', 'block:a', 'parameters', 'pipeline-parameters', 'block:', 'x:y'])).toEqual([]);
  });
});

describe("the tag bar shows a refused tag with the CLI's words", () => {
  it.each([
    ['limit:memory:lots', "invalid tag 'limit:memory:lots': 'lots' is not a valid quantity"],
    ['cache:maybe', "cache: takes 'enabled' or 'disabled'"],
    ['timeout:0', 'at least 1']
  ])('%s', (tag, words) => {
    const host = document.createElement('div');
    document.body.appendChild(host);
    const root = createRoot(host);
    act(() =>
      root.render(
        <TagEditor
          tags={['step:a', tag]}
          cell={2}
          earlierSteps={[]}
          knownSteps={[]}
          effectiveStep={null}
          onChange={() => undefined}
          onEditSettings={() => undefined}
        />
      )
    );
    const note = host.querySelector(`[aria-label="Invalid tag ${tag}"]`)!;
    expect(note.textContent).toContain(words);
    expect(note.querySelector('[title]')!.getAttribute('title')).toContain(`${tag.split(':')[0]}:`);
    act(() => root.unmount());
    host.remove();
  });
});
