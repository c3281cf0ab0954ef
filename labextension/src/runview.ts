/**
 * A run as the panel shows it, folded from the server's events (or, when streaming
 * is not possible, from polled snapshots). Pure functions: no I/O, no signals.
 */
import { Backend, IRunResult, IRunStatus, IStepProgress, RunEvent, RunState } from './wire';

export interface IStepRunView extends IStepProgress {
  /** When a running step started, by this browser's clock (ms), for a live timer. */
  since?: number;
  /** What the step printed so far (its last `OUTPUT_LIMIT` characters). */
  output?: IOutputChunk[];
}

export interface IOutputChunk {
  name: 'stdout' | 'stderr';
  text: string;
}

export const OUTPUT_LIMIT = 20000;

export interface IRunView {
  id: string | null;
  backend: Backend;
  state: RunState;
  order: string[];
  steps: Record<string, IStepRunView>;
  result: IRunResult | null;
  transport: 'stream' | 'polling';
  cancelRequested: boolean;
  /** The Kubeflow run page, as soon as the run is submitted. */
  url?: string | null;
}

export const FINAL_STATES: ReadonlyArray<RunState> = ['succeeded', 'failed', 'cancelled'];

export function isFinal(run: IRunView | null): boolean {
  return run !== null && FINAL_STATES.includes(run.state);
}

/** A run about to start: every step the analysis knows is waiting. */
export function newRunView(backend: Backend, order: string[]): IRunView {
  return {
    id: null,
    backend,
    state: 'starting',
    order,
    steps: Object.fromEntries(order.map(name => [name, { state: 'waiting', elapsed: 0 }])),
    result: null,
    transport: 'stream',
    cancelRequested: false
  };
}

/** Apply one event; returns the result when the event ends the run. */
export function applyEvent(run: IRunView, event: RunEvent, now = Date.now()): IRunResult | null {
  if (event.type === 'plan') {
    run.order = event.steps;
    for (const name of event.steps) {
      run.steps[name] = run.steps[name] ?? { state: 'waiting', elapsed: 0 };
    }
  } else if (event.type === 'output') {
    const step = (run.steps[event.step] = run.steps[event.step] ?? { state: 'running', elapsed: 0 });
    step.output = appendOutput(step.output ?? [], event.name, event.text);
  } else if (event.type === 'submitted') {
    run.url = event.url;
  } else if (event.type === 'step') {
    run.steps[event.step] = {
      state: event.state,
      elapsed: event.elapsed,
      since: event.state === 'running' ? now - event.elapsed * 1000 : undefined,
      output: run.steps[event.step]?.output
    };
    if (!run.order.includes(event.step)) {
      run.order = [...run.order, event.step];
    }
    if (run.state === 'starting') {
      run.state = 'running';
    }
  } else if (event.type === 'finished') {
    return event;
  }
  return null;
}

/** Add printed text, merging with the last chunk of the same stream, keeping the last `limit` characters. */
export function appendOutput(
  chunks: IOutputChunk[],
  name: IOutputChunk['name'],
  text: string,
  limit = OUTPUT_LIMIT
): IOutputChunk[] {
  const next = chunks.slice();
  const last = next[next.length - 1];
  if (last && last.name === name) {
    next[next.length - 1] = { name, text: last.text + text };
  } else {
    next.push({ name, text });
  }
  let size = next.reduce((n, c) => n + c.text.length, 0);
  while (size > limit && next.length) {
    const extra = size - limit;
    if (next[0].text.length <= extra) {
      size -= next.shift()!.text.length;
    } else {
      next[0] = { name: next[0].name, text: next[0].text.slice(extra) };
      size = limit;
    }
  }
  return next;
}

/** Apply a polled snapshot (the fallback when events cannot be streamed). */
export function applyStatus(run: IRunView, status: IRunStatus): void {
  if (status.plan.steps.length) {
    run.order = status.plan.steps;
  }
  for (const [name, progress] of Object.entries(status.steps)) {
    run.steps[name] = { ...progress, output: run.steps[name]?.output };
  }
  run.url = run.url ?? status.output_url ?? null;
  if (!status.result && !run.cancelRequested && status.state !== 'interrupted') {
    run.state = status.state;
  }
}

export function finishRun(run: IRunView, result: IRunResult): void {
  const { ok, output, error, output_path, output_url } = result;
  run.result = { ok, output, error, output_path, output_url };
  run.state = ok ? 'succeeded' : run.cancelRequested ? 'cancelled' : 'failed';
  for (const progress of Object.values(run.steps)) {
    progress.since = undefined;
  }
}
