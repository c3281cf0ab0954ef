import { Signal } from '@lumino/signaling';

import { ServerError } from '../errors';
import { assignStepColors, stepColor } from '../colors';
import { ICellView, INotebookDocument, matchExecutedCells, renameStepAt } from '../document';
import { appendOutput } from '../runview';
import { PipelineModel } from '../model';
import { parameterOverrides } from '../parameters';
import type { IKaleLikeClient } from '../request';
import { IAnalysis, INotebookJSON, IPipelineMetadata, IRunStatus, RunEvent } from '../wire';

class FakeDocument implements INotebookDocument {
  path = 'demo.ipynb';
  changed: Signal<INotebookDocument, void> = new Signal<INotebookDocument, void>(this);
  saved = 0;
  failed: number | null = null;
  revealed: number[] = [];
  meta: Partial<IPipelineMetadata> = { enabled: true };
  constructor(public cellTags: string[][]) {}
  cells(): ICellView[] {
    return this.cellTags.map(tags => ({ type: 'code', tags }));
  }
  setCellTags(index: number, tags: string[]) {
    this.cellTags[index] = tags;
    this.changed.emit();
  }
  metadata() {
    return this.meta;
  }
  setMetadata(patch: Partial<IPipelineMetadata>) {
    this.meta = { ...this.meta, ...patch };
    this.changed.emit();
  }
  content() {
    return { cells: this.cellTags };
  }
  async save() {
    this.saved++;
  }
  revealCell(cell: number) {
    this.revealed.push(cell);
  }
  markFailedCell(cell: number | null) {
    this.failed = cell;
  }
  applied: INotebookJSON[] = [];
  applyOutputs(executed: INotebookJSON) {
    this.applied.push(executed);
    return executed.cells.length;
  }
}

const ANALYSIS: IAnalysis = {
  pipeline: {
    name: 'demo',
    description: '',
    experiment: null,
    parameters: [{ name: 'n', default: 3, type: 'int', cell: 1 }]
  },
  steps: [
    { name: 'make', cells: [1], inputs: [], outputs: ['x'], upstream: [], settings: {} },
    {
      name: 'double',
      cells: [2, 3],
      inputs: [{ name: 'x', producer: 'make' }],
      outputs: [],
      upstream: ['make'],
      settings: {}
    }
  ],
  edges: [['make', 'double']],
  diagnostics: []
};

function status(over: Partial<IRunStatus> = {}): IRunStatus {
  return {
    id: 'r1',
    path: 'demo.ipynb',
    backend: 'local',
    started: 0,
    state: 'running',
    plan: { steps: [], edges: [] },
    steps: {},
    result: null,
    events: 0,
    ...over
  };
}

function fakeClient(over: Partial<IKaleLikeClient> = {}): IKaleLikeClient & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    info: async () => ({ version: '0', backends: ['local'] }),
    analyze: async path => (calls.push(`analyze ${path}`), ANALYSIS),
    compile: async () => ({ filename: 'demo.yaml', yaml: 'x: 1' }),
    startRun: async request => (calls.push(`run ${JSON.stringify(request)}`), status()),
    runStatus: async () => status(),
    cancelRun: async id => (calls.push(`cancel ${id}`), status({ state: 'cancelling' })),
    runHistory: async path => (calls.push(`history ${path}`), []),
    notebookContent: async path => (calls.push(`content ${path}`), { cells: [] }),
    streamRunEvents: async () => -1,
    ...over
  };
}

function streamOf(events: RunEvent[]): IKaleLikeClient['streamRunEvents'] {
  return async (_id, _after, onEvent) => {
    events.forEach(onEvent);
    return events.length - 1;
  };
}

describe('PipelineModel analysis', () => {
  it('analyzes the notebook it is given and maps cells to steps', async () => {
    const client = fakeClient();
    const model = new PipelineModel({ client, analyzeDelay: 0 });
    model.setDocument(new FakeDocument([['step:make'], ['step:double'], []]));
    await model.analyze();
    expect(model.steps.map(s => s.name)).toEqual(['make', 'double']);
    expect(model.stepOfCell(3)).toBe('double');
    expect(model.parameters[0].name).toBe('n');
  });

  it('re-analyzes once after a burst of tag edits', async () => {
    const client = fakeClient();
    const model = new PipelineModel({ client, analyzeDelay: 20 });
    const document = new FakeDocument([[], []]);
    model.setDocument(document);
    await new Promise(r => setTimeout(r, 40));
    client.calls.length = 0;
    document.setCellTags(0, ['step:a']);
    document.setCellTags(1, ['step:b']);
    await new Promise(r => setTimeout(r, 60));
    expect(client.calls).toEqual(['analyze demo.ipynb']);
  });

  it('does not analyze a notebook whose pipeline is off', async () => {
    const client = fakeClient();
    const model = new PipelineModel({ client, analyzeDelay: 0 });
    const document = new FakeDocument([[]]);
    document.meta = {};
    model.setDocument(document);
    await model.analyze();
    expect(model.enabled).toBe(false);
    expect(client.calls).toEqual([]);
  });

  it('starts enabled on a notebook that already has pipeline tags', () => {
    const document = new FakeDocument([['block:a']]);
    document.meta = {};
    const model = new PipelineModel({ client: fakeClient() });
    model.setDocument(document);
    expect(model.enabled).toBe(true);
  });

  it('keeps an analysis failure for the panel', async () => {
    const body = {
      message: 'bad',
      diagnostic: { severity: 'error' as const, message: 'bad', cell: 2, line: 1, step: null }
    };
    const model = new PipelineModel({
      client: fakeClient({
        analyze: async () => {
          throw new ServerError(400, body);
        }
      })
    });
    model.setDocument(new FakeDocument([[]]));
    await model.analyze();
    expect(model.analysisError?.diagnostic?.cell).toBe(2);
  });
});

describe('PipelineModel runs', () => {
  it('saves, starts a run and follows its events to success', async () => {
    const client = fakeClient({
      streamRunEvents: streamOf([
        { type: 'plan', steps: ['make', 'double'], edges: [['make', 'double']] },
        { type: 'step', step: 'make', state: 'running', elapsed: 0 },
        { type: 'step', step: 'make', state: 'succeeded', elapsed: 0.2 },
        { type: 'step', step: 'double', state: 'cached', elapsed: 0 },
        {
          type: 'finished',
          ok: true,
          output: '/root/demo.executed.ipynb',
          error: null,
          output_path: 'demo.executed.ipynb'
        }
      ])
    });
    const document = new FakeDocument([['step:make'], ['step:double']]);
    const model = new PipelineModel({ client });
    model.setDocument(document);
    await model.compileAndRun();
    expect(document.saved).toBe(1);
    const run = model.run!;
    expect(run.state).toBe('succeeded');
    expect(run.order).toEqual(['make', 'double']);
    expect(run.steps.make).toMatchObject({ state: 'succeeded', elapsed: 0.2 });
    expect(run.steps.double.state).toBe('cached');
    expect(run.result?.output_path).toBe('demo.executed.ipynb');
    expect(model.running).toBe(false);
    expect(document.failed).toBeNull();
  });

  it('shows the failing step and marks its cell', async () => {
    const error = { step: 'double', cell: 2, line: 1, message: 'ValueError: boom', traceback: 'Traceback' };
    const client = fakeClient({
      streamRunEvents: streamOf([
        { type: 'step', step: 'double', state: 'failed', elapsed: 0.1 },
        { type: 'finished', ok: false, output: null, error }
      ])
    });
    const document = new FakeDocument([['step:make'], ['step:double']]);
    const model = new PipelineModel({ client });
    model.setDocument(document);
    await model.compileAndRun();
    expect(model.run?.state).toBe('failed');
    expect(model.run?.result?.error).toEqual(error);
    expect(document.failed).toBe(2);
  });

  it('falls back to polling when the event stream fails', async () => {
    let polls = 0;
    const client = fakeClient({
      streamRunEvents: async () => {
        throw new Error('no streaming here');
      },
      runStatus: async () => {
        polls++;
        return polls < 2
          ? status({ steps: { make: { state: 'running', elapsed: 0 } } })
          : status({
              state: 'succeeded',
              steps: { make: { state: 'succeeded', elapsed: 1 } },
              result: { ok: true, output: null, error: null }
            });
      }
    });
    const model = new PipelineModel({ client, pollInterval: 1 });
    model.setDocument(new FakeDocument([['step:make']]));
    await model.compileAndRun();
    expect(model.run?.transport).toBe('polling');
    expect(model.run?.state).toBe('succeeded');
    expect(model.run?.steps.make.state).toBe('succeeded');
  });

  it("reports a refused run with the server's diagnostic", async () => {
    const body = {
      message: 'cell 3: invalid tag',
      diagnostic: { severity: 'error' as const, message: 'invalid tag', cell: 3, line: null, step: null }
    };
    const client = fakeClient({
      startRun: async () => {
        throw new ServerError(400, body);
      }
    });
    const document = new FakeDocument([[]]);
    const model = new PipelineModel({ client });
    model.setDocument(document);
    await model.compileAndRun();
    expect(model.run?.state).toBe('failed');
    expect(model.run?.result?.error?.cell).toBe(3);
    expect(document.failed).toBe(3);
  });

  it('cancels the run it is following', async () => {
    let finish: () => void = () => undefined;
    const client = fakeClient({
      streamRunEvents: (_id, _after, onEvent) =>
        new Promise(resolve => {
          onEvent({ type: 'step', step: 'make', state: 'running', elapsed: 0 });
          finish = () => {
            onEvent({
              type: 'finished',
              ok: false,
              output: null,
              error: { step: null, cell: null, line: null, message: 'the run was cancelled', traceback: '' }
            });
            resolve(1);
          };
        })
    });
    const model = new PipelineModel({ client });
    model.setDocument(new FakeDocument([['step:make']]));
    const running = model.compileAndRun();
    await new Promise(r => setTimeout(r, 0));
    expect(model.running).toBe(true);
    await model.cancel();
    expect(client.calls).toContain('cancel r1');
    expect(model.run?.state).toBe('cancelling');
    finish();
    await running;
    expect(model.run?.state).toBe('cancelled');
  });

  it('sends only the parameters the user changed, typed', () => {
    const parameters = [
      { name: 'n', default: 3, type: 'int', cell: 1 },
      { name: 'name', default: 'a', type: 'str', cell: 1 },
      { name: 'flag', default: false, type: 'bool', cell: 1 },
      { name: 'xs', default: [1], type: 'list', cell: 1 }
    ];
    expect(parameterOverrides(parameters, { n: '5', name: 'a', flag: 'true', xs: '[1, 2]' })).toEqual({
      n: 5,
      flag: true,
      xs: [1, 2]
    });
  });

  it('sends the Kubeflow settings only for the kfp backend', async () => {
    const client = fakeClient({
      streamRunEvents: streamOf([
        { type: 'plan', steps: ['make'], edges: [] },
        { type: 'submitted', run_id: 'k1', url: 'https://kfp/#/runs/details/1' },
        { type: 'step', step: 'make', state: 'running', elapsed: 0 },
        { type: 'step', step: 'make', state: 'succeeded', elapsed: 4 },
        {
          type: 'finished',
          ok: true,
          output: 'https://kfp/#/runs/details/1',
          error: null,
          output_url: 'https://kfp/#/runs/details/1'
        }
      ])
    });
    const model = new PipelineModel({ client });
    model.setDocument(new FakeDocument([['step:make']]));
    model.setUserSettings({
      backend: 'kfp',
      kfp: { host: 'http://kfp', namespace: 'ns', authMode: 'none', token: 'hidden' }
    });
    await model.compileAndRun();
    const request = JSON.parse(client.calls.find(c => c.startsWith('run '))!.slice(4));
    expect(request).toEqual({
      path: 'demo.ipynb',
      split: 'auto',
      backend: 'kfp',
      parameters: {},
      kfp: { host: 'http://kfp', namespace: 'ns' }
    });
    expect(model.run?.result?.output_url).toBe('https://kfp/#/runs/details/1');
    expect(model.run?.url).toBe('https://kfp/#/runs/details/1');
    expect(model.run?.steps.make.state).toBe('succeeded'); // polled from Kubeflow through the server
  });

  it('learns which backends the server offers', async () => {
    const model = new PipelineModel({
      client: fakeClient({ info: async () => ({ version: '0', backends: ['local'] }) })
    });
    await model.loadServerInfo();
    expect(model.backends).toEqual(['local']);
  });

  it('downloads the compiled pipeline', async () => {
    const downloads: string[] = [];
    const model = new PipelineModel({
      client: fakeClient(),
      download: (name, text) => downloads.push(`${name}:${text}`)
    });
    model.setDocument(new FakeDocument([['step:make']]));
    await model.compileOnly();
    expect(downloads).toEqual(['demo.yaml:x: 1']);
    expect(model.notice).toEqual({ kind: 'info', text: 'Compiled demo.yaml' });
  });
});

describe('editing the graph from the tag bar', () => {
  it('renaming a step at its first cell renames it in every cell and its prev: tags', () => {
    const document = new FakeDocument([
      ['step:load'],
      ['step:load', 'limit:cpu:1'],
      ['step:train', 'prev:load'],
      ['skip']
    ]);
    renameStepAt(document, 0, 'load', 'fetch');
    expect(document.cellTags).toEqual([
      ['step:fetch'],
      ['step:fetch', 'limit:cpu:1'],
      ['step:train', 'prev:fetch'],
      ['skip']
    ]);
  });

  it('a new name on a later cell of a step splits that cell off, the step keeps its name', () => {
    const document = new FakeDocument([['step:load'], ['step:load'], ['step:train', 'prev:load']]);
    renameStepAt(document, 1, 'load', 'extra');
    expect(document.cellTags).toEqual([['step:load'], ['step:extra'], ['step:train', 'prev:load']]);
  });

  it('keeps the last valid graph while the notebook cannot become a pipeline', async () => {
    let broken = false;
    const client = fakeClient({
      analyze: async () =>
        broken
          ? {
              pipeline: null,
              steps: [],
              edges: [],
              diagnostics: [
                {
                  severity: 'error',
                  message: 'prev:load names a step that does not exist',
                  cell: 2,
                  line: null,
                  step: 'train'
                }
              ]
            }
          : ANALYSIS
    });
    const model = new PipelineModel({ client, analyzeDelay: 0 });
    model.setDocument(new FakeDocument([['step:make'], ['step:double']]));
    await model.analyze();
    expect(model.stale).toBe(false);
    broken = true;
    await model.analyze();
    expect(model.steps.map(s => s.name)).toEqual(['make', 'double']);
    expect(model.edges).toEqual([['make', 'double']]);
    expect(model.stale).toBe(true);
    expect(model.analysis?.diagnostics[0].message).toMatch(/does not exist/);
    broken = false;
    await model.analyze();
    expect(model.stale).toBe(false);
  });

  it('sends the split chosen in the panel and reports the one in effect', async () => {
    const seen: (string | undefined)[] = [];
    const client = fakeClient({
      analyze: async (_path, _content, split) => {
        seen.push(split);
        return { ...ANALYSIS, pipeline: { ...ANALYSIS.pipeline!, split: split === 'auto' ? 'cells' : split } };
      }
    });
    const model = new PipelineModel({ client, analyzeDelay: 0 });
    model.setDocument(new FakeDocument([[], []]));
    await model.analyze();
    expect(model.splitInEffect).toBe('cells');
    model.updateMetadata({ split: 'headings' });
    await model.analyze();
    expect(seen).toEqual(['auto', 'headings']);
    expect(model.splitInEffect).toBe('headings');
    expect(model.metadata.split).toBe('headings');
  });
});

describe('step colours', () => {
  it('differ for neighbouring steps, whatever their names hash to', () => {
    // names chosen to collide in the palette
    const names: string[] = [];
    for (let i = 0; names.length < 6; i++) {
      const name = `s${i}`;
      if (stepColor(name) === stepColor('s0')) {
        names.push(name);
      }
    }
    const colors = assignStepColors(
      names,
      names.slice(1).map((n, i) => [names[i], n] as [string, string])
    );
    names.slice(1).forEach((name, i) => expect(colors.get(name)).not.toBe(colors.get(names[i])));
    expect(colors.get(names[0])).toBe(stepColor(names[0])); // the first keeps its own
  });

  it('also differ across an edge that skips steps in notebook order', () => {
    const colors = assignStepColors(['a', 'b', 'c'], [['a', 'c']]);
    expect(colors.get('c')).not.toBe(colors.get('a'));
    expect(colors.get('c')).not.toBe(colors.get('b'));
  });
});

describe('live output, history and outputs back', () => {
  it('keeps what each step prints, per stream, bounded', () => {
    let chunks = appendOutput([], 'stdout', 'a\n');
    chunks = appendOutput(chunks, 'stdout', 'b\n');
    chunks = appendOutput(chunks, 'stderr', 'oops\n');
    expect(chunks).toEqual([
      { name: 'stdout', text: 'a\nb\n' },
      { name: 'stderr', text: 'oops\n' }
    ]);
    const bounded = appendOutput(chunks, 'stdout', 'x'.repeat(30), 20);
    expect(bounded.reduce((n, c) => n + c.text.length, 0)).toBe(20);
    expect(bounded[bounded.length - 1].text.endsWith('x')).toBe(true);
  });

  it('shows output events under their step as they arrive', async () => {
    const client = fakeClient({
      streamRunEvents: streamOf([
        { type: 'step', step: 'make', state: 'running', elapsed: 0 },
        { type: 'output', step: 'make', name: 'stdout', text: 'epoch 1\n' },
        { type: 'output', step: 'make', name: 'stdout', text: 'epoch 2\n' },
        { type: 'step', step: 'make', state: 'succeeded', elapsed: 1 },
        { type: 'finished', ok: true, output: '/x.ipynb', error: null, output_path: 'demo.executed.ipynb' }
      ])
    });
    const model = new PipelineModel({ client });
    model.setDocument(new FakeDocument([['step:make']]));
    await model.compileAndRun();
    expect(model.run?.steps.make.output).toEqual([{ name: 'stdout', text: 'epoch 1\nepoch 2\n' }]);
    expect(model.run?.steps.make.state).toBe('succeeded');
  });

  it('lists the history, re-runs with the recorded parameters and re-attaches to a run still going', async () => {
    const going = status({
      id: 'r9',
      state: 'running',
      plan: { steps: ['make'], edges: [] },
      steps: { make: { state: 'running', elapsed: 1 } }
    });
    const old = status({ id: 'r1', state: 'succeeded', parameters: { n: 7 }, split: 'cells' });
    let followed = '';
    const client = fakeClient({
      runHistory: async () => [going, old],
      streamRunEvents: async (id, _after, onEvent) => {
        followed = id;
        onEvent({ type: 'finished', ok: true, output: null, error: null });
        return 0;
      }
    });
    const model = new PipelineModel({ client });
    model.setDocument(new FakeDocument([['step:make']]));
    await model.loadHistory(true);
    expect(model.history.map(r => r.id)).toEqual(['r9', 'r1']);
    expect(model.run?.id).toBe('r9');
    await new Promise(r => setTimeout(r, 0));
    expect(followed).toBe('r9');
    await model.rerun(old);
    const request = JSON.parse(
      client.calls
        .filter(c => c.startsWith('run '))
        .pop()!
        .slice(4)
    );
    expect(request.parameters).toEqual({ n: 7 });
    expect(request.split).toBe('cells');
  });

  it('puts outputs into the open notebook only when asked', async () => {
    const client = fakeClient({
      streamRunEvents: streamOf([
        {
          type: 'finished',
          ok: true,
          output: '/r/demo.executed.ipynb',
          error: null,
          output_path: 'demo.executed.ipynb'
        }
      ])
    });
    const document = new FakeDocument([['step:make']]);
    const model = new PipelineModel({ client });
    model.setDocument(document);
    await model.compileAndRun();
    expect(document.applied).toEqual([]);
    expect(model.outputsShown).toBe(false);
    await model.showOutputs();
    expect(client.calls).toContain('content demo.executed.ipynb');
    expect(document.applied.length).toBe(1);
    expect(model.outputsShown).toBe(true);
  });

  it('matches executed cells by id, else by source, skipping the injected parameters cell', () => {
    const executed: INotebookJSON = {
      cells: [
        { cell_type: 'code', source: 'n = 1', metadata: { tags: ['pipeline-parameters'] }, id: 'p' },
        { cell_type: 'code', source: 'n = 5', metadata: { tags: ['injected-parameters'] }, id: 'inj' },
        { cell_type: 'markdown', source: '# x' },
        { cell_type: 'code', source: ['print(', 'n)'], id: 'other-id' },
        { cell_type: 'code', source: 'print(n)' }
      ]
    };
    const open = [
      { id: 'p', type: 'code', source: 'n = 1' },
      { id: 'm', type: 'markdown', source: '# x' },
      { id: 'q', type: 'code', source: 'print(n)' },
      { id: 'r', type: 'code', source: 'print(n)' },
      { id: 's', type: 'code', source: 'never ran' }
    ];
    expect(matchExecutedCells(open, executed)).toEqual([0, null, 3, 4, null]);
  });

  it('cancels a run listed in the history that another tab started', async () => {
    const client = fakeClient();
    const model = new PipelineModel({ client });
    model.setDocument(new FakeDocument([['step:make']]));
    await model.cancelRun('other1');
    expect(client.calls).toContain('cancel other1');
    expect(client.calls.filter(c => c.startsWith('history')).length).toBeGreaterThan(0);
    expect(model.run).toBeNull(); // the panel's own run is untouched
  });
});
