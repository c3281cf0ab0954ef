import {
  fixInvalidTag,
  readCellTags,
  rememberStep,
  renameStepInTags,
  toStepName,
  settingsProblem,
  stepNameProblem,
  stepsInTags,
  withPrev,
  withRole,
  withSettings,
  withStepName,
  writeCellTags
} from '../tags';

describe('reading tags', () => {
  it('reads a step with its dependencies, settings and foreign tags', () => {
    const parsed = readCellTags([
      'block:train',
      'prev:load',
      'limit:memory:2Gi',
      'limit:nvidia.com/gpu:1',
      'image:python:3.11',
      'cache:disabled',
      'retries:3',
      'hide-input',
      'env:A:1'
    ]);
    expect(parsed.role).toBe('step');
    expect(parsed.step).toBe('train');
    expect(parsed.prev).toEqual(['load']);
    expect(parsed.settings).toEqual({
      memory: '2Gi',
      gpu: '1',
      gpuKey: 'nvidia.com/gpu',
      image: 'python:3.11',
      cache: 'disabled',
      retries: 3
    });
    expect(parsed.other).toEqual(['hide-input', 'env:A:1']);
  });

  it.each([
    ['imports', 'imports'],
    ['functions', 'functions'],
    ['pipeline-parameters', 'parameters'],
    ['parameters', 'parameters'],
    ['pipeline-metrics', 'metrics'],
    ['skip', 'skip']
  ])('reads the %s tag as the %s role', (tag, role) => {
    expect(readCellTags([tag]).role).toBe(role);
  });

  it('keeps tags it does not manage, malformed ones included', () => {
    expect(readCellTags(['step:1bad', 'limit:cpu', 'request:cpu:1']).invalid).toEqual(['step:1bad']);
    expect(readCellTags(['step:1bad', 'limit:cpu', 'request:cpu:1']).other).toEqual(['limit:cpu', 'request:cpu:1']);
    // kept in place while nothing touches them
    expect(writeCellTags(readCellTags(['step:1bad', 'limit:cpu']))).toEqual(['limit:cpu', 'step:1bad']);
  });
});

describe('writing tags', () => {
  it('writes block: as step: and keeps everything else', () => {
    expect(writeCellTags(readCellTags(['hide-input', 'block:a', 'prev:b']))).toEqual([
      'step:a',
      'prev:b',
      'hide-input'
    ]);
  });

  it('round-trips what it wrote', () => {
    const tags = [
      'step:train',
      'prev:load',
      'image:img:1',
      'limit:cpu:2',
      'limit:memory:1Gi',
      'limit:amd.com/gpu:2',
      'cache:enabled',
      'retries:1',
      'secret:s:k:ENV'
    ];
    expect(writeCellTags(readCellTags(tags))).toEqual(tags);
  });

  it("keeps papermill's parameters spelling", () => {
    expect(withRole(['parameters'], 'parameters')).toEqual(['parameters']);
    expect(withRole([], 'parameters')).toEqual(['pipeline-parameters']);
  });
});

describe('editing', () => {
  it('turns a plain cell into a named step', () => {
    expect(withRole(['hide-input'], 'step', 'load')).toEqual(['step:load', 'hide-input']);
  });

  it('drops step tags when the role changes', () => {
    expect(withRole(['step:a', 'prev:b', 'limit:cpu:1', 'env:X:1'], 'imports')).toEqual(['imports', 'env:X:1']);
    expect(withRole(['step:a', 'skip'], 'none')).toEqual([]);
  });

  it('renames a step and keeps its dependencies', () => {
    expect(withStepName(['step:a', 'prev:b'], 'c')).toEqual(['step:c', 'prev:b']);
  });

  it('refuses names the CLI would refuse', () => {
    expect(() => withStepName(['step:a'], '1abc')).toThrow(/not a step name/);
    expect(() => withRole([], 'step')).toThrow(/needs a name/);
    expect(stepNameProblem('a'.repeat(63))).toBe('');
    expect(stepNameProblem('a'.repeat(64))).not.toBe('');
    expect(stepNameProblem('with-dash_1')).toBe('');
  });

  it('sets dependencies without duplicates', () => {
    expect(withPrev(['step:c'], ['a', 'b', 'a'])).toEqual(['step:c', 'prev:a', 'prev:b']);
    expect(withPrev(['step:c', 'prev:a'], [])).toEqual(['step:c']);
    expect(() => withPrev(['imports'], ['a'])).toThrow(/Step first/);
  });

  it('writes step settings as tags', () => {
    expect(
      withSettings(['step:t', 'env:A:1'], { cpu: '500m', memory: '2Gi', gpu: '1', cache: 'disabled', retries: 2 })
    ).toEqual([
      'step:t',
      'limit:cpu:500m',
      'limit:memory:2Gi',
      'limit:nvidia.com/gpu:1',
      'cache:disabled',
      'retries:2',
      'env:A:1'
    ]);
    expect(withSettings(['step:t', 'limit:cpu:1', 'image:x'], {})).toEqual(['step:t']);
  });

  it('refuses settings the CLI would refuse', () => {
    expect(settingsProblem({ memory: 'lots' })).toMatch(/not a quantity/);
    expect(settingsProblem({ image: 'bad image' })).toMatch(/image/);
    expect(settingsProblem({ retries: -1 })).toMatch(/whole number/);
    expect(() => withSettings(['step:t'], { cpu: 'x' })).toThrow();
  });

  it('lists step names with their first cell', () => {
    expect([...stepsInTags([['imports'], ['step:a'], ['step:b'], ['block:a']])]).toEqual([
      ['a', 1],
      ['b', 2]
    ]);
  });
});

describe('invalid tags', () => {
  it.each([
    ['step:clean data', 'step:clean_data'],
    ['step:9lives', 'step:step_9lives'],
    ['block:a.b', 'step:a_b'],
    ['prev:load it', 'prev:load_it'],
    ['step:  spaced out  ', 'step:spaced_out']
  ])('fixes %s as %s in one click', (bad, fixed) => {
    expect(readCellTags([bad]).invalid).toEqual([bad.trim()]);
    expect(fixInvalidTag(['hide-input', bad.trim(), 'prev:x'], bad.trim())).toEqual(['hide-input', fixed, 'prev:x']);
  });

  it.each(['step', 'skip', 'imports', 'parameters'] as const)(
    'choosing the %s role replaces an invalid step tag',
    role => {
      const tags = withRole(['step:clean data', 'hide-input'], role, role === 'step' ? 'clean_data' : undefined);
      expect(tags.filter(t => t.startsWith('step:') && t !== 'step:clean_data')).toEqual([]);
      expect(tags).toContain('hide-input');
      expect(tags.length).toBe(2);
    }
  );

  it('makes names the CLI accepts', () => {
    for (const text of ['a b c', '1', '', 'ü-ber', 'x'.repeat(80)]) {
      expect(stepNameProblem(toStepName(text))).toBe('');
    }
  });
});

describe('renaming a step', () => {
  it('renames its step tag and every prev naming it, nothing else', () => {
    expect(renameStepInTags(['step:load', 'limit:cpu:1'], 'load', 'fetch')).toEqual(['step:fetch', 'limit:cpu:1']);
    expect(renameStepInTags(['step:train', 'prev:load', 'prev:clean'], 'load', 'fetch')).toEqual([
      'step:train',
      'prev:fetch',
      'prev:clean'
    ]);
    expect(renameStepInTags(['step:loader', 'prev:loads'], 'load', 'fetch')).toEqual(['step:loader', 'prev:loads']);
    expect(renameStepInTags(['block:load'], 'load', 'fetch')).toEqual(['step:fetch']);
  });

  it('does not duplicate a prev already naming the new name', () => {
    expect(renameStepInTags(['step:c', 'prev:a', 'prev:b'], 'a', 'b')).toEqual(['step:c', 'prev:b']);
  });
});

describe('skip round trip', () => {
  it.each(['skip', 'imports', 'none', 'metrics'] as const)(
    'a step made %s and back gets its name, prev and settings back',
    role => {
      const original = ['step:train', 'prev:load', 'limit:memory:1Gi', 'retries:2', 'hide-input'];
      const memory = rememberStep(original);
      const away = withRole(original, role);
      expect(away.some(t => t.startsWith('step:') || t.startsWith('prev:'))).toBe(false);
      expect(withRole(away, 'step', memory!.step, memory)).toEqual(original);
    }
  );

  it('a new name does not inherit what another step depended on', () => {
    const memory = rememberStep(['step:train', 'prev:load']);
    expect(withRole(['skip'], 'step', 'other', memory)).toEqual(['step:other']);
  });
});
