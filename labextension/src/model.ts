/**
 * The panel's model: the active notebook's pipeline settings, its analysis (steps,
 * edges, diagnostics) kept fresh as the notebook changes, and the progress of its
 * runs. React components render it; it does no rendering and knows the notebook
 * only through `INotebookDocument`, so tests drive it with a fake.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { assignStepColors, stepColor } from './colors';
import { INotebookDocument, pipelineMetadata } from './document';
import { ServerError } from './errors';
import { parameterOverrides } from './parameters';
import { readCellTags } from './tags';
import type { IKaleLikeClient } from './request';
import { applyEvent, applyStatus, finishRun, isFinal, IRunView, newRunView } from './runview';
import {
  Backend,
  Edge,
  IAnalysis,
  IBackendChoice,
  IParameter,
  IPipelineMetadata,
  IRunRequest,
  IRunResult,
  IRunStatus,
  IServerErrorBody,
  IStepInfo,
  IUserSettings,
  RunEvent,
  SplitChoice
} from './wire';

export interface INotice {
  kind: 'error' | 'info';
  text: string;
}

interface IDocumentState {
  analysis: IAnalysis | null;
  analysisError: IServerErrorBody | null;
  /** The last analysis that gave a pipeline. */
  lastGood: IAnalysis | null;
  analyzing: boolean;
  analysisSeq: number;
  run: IRunView | null;
  parameters: Record<string, string>;
  notice: INotice | null;
  /** Recent runs of this notebook, newest first, as the server keeps them. */
  history: IRunStatus[];
  /** Outputs of the last successful run were put into the open notebook. */
  outputsShown: boolean;
}

export interface IPipelineModelOptions {
  client: IKaleLikeClient;
  /** Hand a compiled pipeline to the user (a file download in the browser). */
  download?: (filename: string, text: string) => void;
  analyzeDelay?: number;
  pollInterval?: number;
}

/** What the menu lists until the server says (its `info` reply names every backend it knows). */
export const DEFAULT_BACKEND_CHOICES: IBackendChoice[] = [
  { name: 'local', label: 'Local', available: true, needs: '', remote: false },
  { name: 'kfp', label: 'Kubeflow Pipelines', available: true, needs: 'kale_like[kfp]', remote: true }
];

export const DEFAULT_USER_SETTINGS: IUserSettings = {
  backend: 'local',
  kfp: { host: '', namespace: '', authMode: 'none', token: '' }
};

export class PipelineModel {
  constructor(options: IPipelineModelOptions) {
    this._client = options.client;
    this._download = options.download ?? (() => undefined);
    this._analyzeDelay = options.analyzeDelay ?? 400;
    this._pollInterval = options.pollInterval ?? 1000;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get document(): INotebookDocument | null {
    return this._document;
  }

  setDocument(document: INotebookDocument | null): void {
    if (document === this._document) {
      return;
    }
    this._document?.changed.disconnect(this._onDocumentChanged, this);
    this._document = document;
    document?.changed.connect(this._onDocumentChanged, this);
    if (document && this.enabled && !this._state(document).analysis) {
      this.scheduleAnalyze(0);
    }
    if (document && this.enabled) {
      void this.loadHistory(true);
    }
    this._changed.emit();
  }

  /** Recent runs of the active notebook (local and Kubeflow), newest first. */
  get history(): IRunStatus[] {
    return this._current()?.history ?? [];
  }

  /**
   * Ask the server for this notebook's recent runs. With `attach`, a run still going
   * (started before a browser reload) becomes the panel's current run again.
   */
  async loadHistory(attach = false): Promise<void> {
    const document = this._document;
    if (!document) {
      return;
    }
    const state = this._state(document);
    try {
      state.history = await this._client.runHistory(document.path);
    } catch {
      return; // history is a convenience; the panel works without it
    }
    const going = state.history.find(r => r.state === 'running' || r.state === 'cancelling');
    if (attach && going && !state.run) {
      const run = newRunView(going.backend, going.plan.steps);
      run.id = going.id;
      applyStatus(run, going);
      state.run = run;
      void this._follow(document, run).catch(() => undefined);
    }
    this._changed.emit();
  }

  /** Run again with the parameters (and split) a recorded run used. */
  async rerun(record: IRunStatus): Promise<void> {
    await this.compileAndRun({ parameters: record.parameters ?? {}, split: record.split ?? undefined });
  }

  /** Cancel a run listed in the history (the current one, or one another tab started). */
  async cancelRun(id: string): Promise<void> {
    if (this.run?.id === id) {
      return this.cancel();
    }
    await this._client.cancelRun(id);
    await this.loadHistory();
  }

  /** True once the last run's outputs were put into the open notebook. */
  get outputsShown(): boolean {
    return this._current()?.outputsShown ?? false;
  }

  /** Put the executed notebook's outputs into the open notebook (the user asked for it). */
  async showOutputs(): Promise<void> {
    const document = this._document;
    const path = this.run?.result?.output_path;
    if (!document || !path) {
      return;
    }
    const state = this._state(document);
    try {
      const count = document.applyOutputs(await this._client.notebookContent(path));
      state.outputsShown = true;
      state.notice = {
        kind: 'info',
        text: `Outputs of ${count} cell${count === 1 ? '' : 's'} shown; save to keep them.`
      };
    } catch (error) {
      state.notice = { kind: 'error', text: errorBody(error).message };
    }
    this._changed.emit();
  }

  /** Backends the server can run ('kfp' needs kale_like[kfp] on the server). */
  get backends(): Backend[] {
    return this._backends;
  }

  /** Every backend the server's registry knows, available or not (what the menu lists). */
  get backendChoices(): IBackendChoice[] {
    return this._backendChoices;
  }

  /** Ask the server what it can do; the panel offers only what it can. */
  async loadServerInfo(): Promise<void> {
    try {
      const info = await this._client.info();
      this._backends = info.backends;
      this._backendChoices = info.backend_choices ?? this._backendChoices;
    } catch {
      this._backends = ['local'];
    }
    this._changed.emit();
  }

  get userSettings(): IUserSettings {
    return this._settings;
  }

  setUserSettings(settings: IUserSettings): void {
    this._settings = settings;
    this._changed.emit();
  }

  /** Pipeline settings from the notebook metadata, with defaults filled in. */
  get metadata(): IPipelineMetadata {
    return pipelineMetadata(this._document);
  }

  get enabled(): boolean {
    return this._document !== null && this.metadata.enabled;
  }

  setEnabled(enabled: boolean): void {
    this.updateMetadata({ enabled });
    if (enabled) {
      this.scheduleAnalyze(0);
      void this.loadHistory(true);
    }
  }

  updateMetadata(patch: Partial<IPipelineMetadata>): void {
    this._document?.setMetadata(patch);
    this._changed.emit();
  }

  get analysis(): IAnalysis | null {
    return this._current()?.analysis ?? null;
  }

  get analysisError(): IServerErrorBody | null {
    return this._current()?.analysisError ?? null;
  }

  get analyzing(): boolean {
    return this._current()?.analyzing ?? false;
  }

  /**
   * The steps to show. While the notebook cannot become a pipeline (a tag being
   * edited names a step that is gone), the last valid graph stays up, marked stale,
   * instead of "No steps yet".
   */
  get steps(): IStepInfo[] {
    return this._shown()?.steps ?? [];
  }

  get edges(): Edge[] {
    return this._shown()?.edges ?? [];
  }

  /** True when the steps shown are from an earlier, valid version of the notebook. */
  get stale(): boolean {
    const analysis = this.analysis;
    return Boolean(this._shown() && (this.analysisError || (analysis && !analysis.pipeline)));
  }

  /** The split in effect: what `auto` picked, from the last analysis. */
  get splitInEffect(): SplitChoice | null {
    return this._shown()?.pipeline?.split ?? null;
  }

  /** A step's colour: neighbouring steps never share one. */
  colorOf(step: string): string {
    const shown = this._shown();
    if (shown !== this._colorsFor) {
      this._colorsFor = shown;
      this._colors = assignStepColors(shown?.steps.map(s => s.name) ?? [], shown?.edges ?? []);
    }
    return this._colors.get(step) ?? stepColor(step);
  }

  private _shown(): IAnalysis | null {
    const state = this._current();
    if (!state) {
      return null;
    }
    return state.analysis?.pipeline ? state.analysis : state.lastGood;
  }

  get parameters(): IParameter[] {
    return this.analysis?.pipeline?.parameters ?? [];
  }

  /** The overrides typed for pipeline parameters, as text. */
  get parameterValues(): Record<string, string> {
    return this._current()?.parameters ?? {};
  }

  setParameterValue(name: string, value: string): void {
    const state = this._current();
    if (state) {
      state.parameters = { ...state.parameters, [name]: value };
      this._changed.emit();
    }
  }

  /** The step a cell (1-based) belongs to: from the analysis, else from its own tag. */
  stepOfCell(cell: number): string | null {
    for (const step of this.steps) {
      if (step.cells.includes(cell)) {
        return step.name;
      }
    }
    const tags = this._document?.cells()[cell - 1]?.tags ?? [];
    return readCellTags(tags).step;
  }

  get run(): IRunView | null {
    return this._current()?.run ?? null;
  }

  get running(): boolean {
    const run = this.run;
    return run !== null && !isFinal(run);
  }

  get notice(): INotice | null {
    return this._current()?.notice ?? null;
  }

  revealCell(cell: number, line?: number | null): void {
    this._document?.revealCell(cell, line);
  }

  /** Re-analyze after `delay` ms, coalescing bursts of edits. */
  scheduleAnalyze(delay = this._analyzeDelay): void {
    clearTimeout(this._analyzeTimer);
    this._analyzeTimer = setTimeout(() => void this.analyze(), delay);
  }

  async analyze(): Promise<void> {
    const document = this._document;
    if (!document || !this.enabled) {
      return;
    }
    const state = this._state(document);
    const seq = ++state.analysisSeq;
    state.analyzing = true;
    this._changed.emit();
    try {
      const analysis = await this._client.analyze(document.path, document.content(), this.metadata.split);
      if (seq === state.analysisSeq) {
        state.analysis = analysis;
        state.analysisError = null;
        if (analysis.pipeline) {
          state.lastGood = analysis;
        }
      }
    } catch (error) {
      if (seq === state.analysisSeq) {
        state.analysisError = errorBody(error);
      }
    } finally {
      if (seq === state.analysisSeq) {
        state.analyzing = false;
        this._changed.emit();
      }
    }
  }

  /** Save the notebook, start a run on the server and follow its progress to the end. */
  async compileAndRun(repeat?: { parameters: Record<string, unknown>; split?: SplitChoice }): Promise<void> {
    const document = this._document;
    if (!document || this.running) {
      return;
    }
    const state = this._state(document);
    state.outputsShown = false;
    const order = state.analysis?.steps.map(s => s.name) ?? [];
    const run = newRunView(this._settings.backend, order);
    state.run = run;
    state.notice = null;
    document.markFailedCell(null);
    this._changed.emit();
    try {
      await document.save();
      const request = this._runRequest(document, state);
      if (repeat) {
        request.parameters = { ...repeat.parameters };
        request.split = repeat.split ?? request.split;
      }
      const status = await this._client.startRun(request);
      void this.loadHistory();
      run.id = status.id;
      applyStatus(run, status);
      if (run.cancelRequested) {
        await this._client.cancelRun(status.id);
      }
      await this._follow(document, run);
    } catch (error) {
      this._finish(document, run, { ok: false, output: null, error: runErrorOf(error) });
    }
  }

  async compileOnly(): Promise<void> {
    const document = this._document;
    if (!document) {
      return;
    }
    const state = this._state(document);
    try {
      await document.save();
      const compiled = await this._client.compile(document.path, this.metadata.split);
      this._download(compiled.filename, compiled.yaml);
      state.notice = { kind: 'info', text: `Compiled ${compiled.filename}` };
    } catch (error) {
      state.notice = { kind: 'error', text: errorBody(error).message };
    }
    this._changed.emit();
  }

  async cancel(): Promise<void> {
    const run = this.run;
    if (!run || isFinal(run)) {
      return;
    }
    run.cancelRequested = true;
    run.state = 'cancelling';
    this._changed.emit();
    if (run.id) {
      await this._client.cancelRun(run.id);
    }
  }

  dispose(): void {
    clearTimeout(this._analyzeTimer);
    this.setDocument(null);
    Signal.clearData(this);
  }

  private async _follow(document: INotebookDocument, run: IRunView): Promise<void> {
    const id = run.id!;
    try {
      // From the first event (-1: none seen yet); polling below takes over if the stream drops.
      await this._client.streamRunEvents(id, -1, event => this._applyEvent(document, run, event));
    } catch {
      run.transport = 'polling';
      this._changed.emit();
    }
    while (!isFinal(run)) {
      await sleep(this._pollInterval);
      const status = await this._client.runStatus(id);
      applyStatus(run, status);
      if (status.result) {
        this._finish(document, run, status.result);
      }
      this._changed.emit();
    }
  }

  private _applyEvent(document: INotebookDocument, run: IRunView, event: RunEvent): void {
    const result = applyEvent(run, event);
    if (
      event.type === 'step' &&
      event.state !== 'waiting' &&
      event.state !== 'running' &&
      this._document === document
    ) {
      void this.loadHistory(); // the history line of this run shows each step as it ends
    }
    if (result) {
      this._finish(document, run, result);
    } else {
      this._changed.emit();
    }
  }

  private _finish(document: INotebookDocument, run: IRunView, result: IRunResult): void {
    finishRun(run, result);
    const error = run.result?.error;
    document.markFailedCell(!result.ok && run.state !== 'cancelled' && error?.cell ? error.cell : null);
    this._changed.emit();
    if (this._document === document) {
      void this.loadHistory();
    }
  }

  private _runRequest(document: INotebookDocument, state: IDocumentState): IRunRequest {
    const request: IRunRequest = {
      path: document.path,
      split: this.metadata.split,
      backend: this._settings.backend,
      parameters: parameterOverrides(this.parameters, state.parameters)
    };
    if (request.backend === 'kfp') {
      const kfp = this._settings.kfp;
      request.kfp = {
        host: kfp.host || undefined,
        namespace: kfp.namespace || undefined,
        token: kfp.authMode === 'token' ? kfp.token || undefined : undefined
      };
    }
    return request;
  }

  private _onDocumentChanged(): void {
    if (this.enabled) {
      this.scheduleAnalyze();
    }
    this._changed.emit();
  }

  private _current(): IDocumentState | null {
    return this._document ? this._state(this._document) : null;
  }

  private _state(document: INotebookDocument): IDocumentState {
    let state = this._states.get(document);
    if (!state) {
      state = {
        analysis: null,
        analysisError: null,
        lastGood: null,
        analyzing: false,
        analysisSeq: 0,
        run: null,
        parameters: {},
        notice: null,
        history: [],
        outputsShown: false
      };
      this._states.set(document, state);
    }
    return state;
  }

  private _client: IKaleLikeClient;
  private _download: (filename: string, text: string) => void;
  private _analyzeDelay: number;
  private _pollInterval: number;
  private _analyzeTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  private _document: INotebookDocument | null = null;
  private _settings: IUserSettings = DEFAULT_USER_SETTINGS;
  private _backends: Backend[] = ['local', 'kfp'];
  private _backendChoices: IBackendChoice[] = DEFAULT_BACKEND_CHOICES;
  private _states = new WeakMap<INotebookDocument, IDocumentState>();
  private _changed = new Signal<this, void>(this);
  private _colorsFor: IAnalysis | null | undefined = undefined;
  private _colors = new Map<string, string>();
}

function errorBody(error: unknown): IServerErrorBody {
  if (error instanceof ServerError) {
    return error.body;
  }
  return { message: error instanceof Error ? error.message : String(error) };
}

function runErrorOf(error: unknown) {
  const body = errorBody(error);
  return {
    step: body.diagnostic?.step ?? null,
    cell: body.diagnostic?.cell ?? null,
    line: body.diagnostic?.line ?? null,
    message: body.message,
    traceback: body.traceback ?? ''
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}
