/**
 * A run as the panel shows it, folded from the server's events (or, when streaming
 * is not possible, from polled snapshots). Pure functions: no I/O, no signals.
 */
import { Backend, IRunResult, IRunStatus, IStepProgress, RunEvent, RunState } from './tokens';

export interface IStepRunView extends IStepProgress {
  /** When a running step started, by this browser's clock (ms), for a live timer. */
  since?: number;
}

export interface IRunView {
  id: string | null;
  backend: Backend;
  state: RunState;
  order: string[];
  steps: Record<string, IStepRunView>;
  result: IRunResult | null;
  transport: 'stream' | 'polling';
  cancelRequested: boolean;
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
  } else if (event.type === 'step') {
    run.steps[event.step] = {
      state: event.state,
      elapsed: event.elapsed,
      since: event.state === 'running' ? now - event.elapsed * 1000 : undefined
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

/** Apply a polled snapshot (the fallback when events cannot be streamed). */
export function applyStatus(run: IRunView, status: IRunStatus): void {
  if (status.plan.steps.length) {
    run.order = status.plan.steps;
  }
  for (const [name, progress] of Object.entries(status.steps)) {
    run.steps[name] = { ...progress };
  }
  if (!status.result && !run.cancelRequested) {
    run.state = status.state;
  }
}

export function finishRun(run: IRunView, result: IRunResult): void {
  const { ok, output, error, output_path, output_url } = result;
  run.result = { ok, output, error, output_path, output_url };
  run.state = ok ? 'succeeded' : run.cancelRequested ? 'cancelled' : 'failed';
  for (const [name, progress] of Object.entries(run.steps)) {
    progress.since = undefined;
    if (run.backend === 'kfp' && progress.state === 'waiting') {
      // Kubeflow runs the steps after submission; their progress is on the run page.
      delete run.steps[name];
    }
  }
}
