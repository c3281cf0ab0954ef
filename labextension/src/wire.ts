/**
 * The JSON the server extension speaks, declared once. Field names follow the
 * Python API (`kale_like.api`), so they stay snake_case where it does. The run
 * contract (step states, events, the run error) mirrors `kale_like/contract.py`;
 * `tests/core/test_contract.py` fails when the two drift apart.
 */

export type Severity = 'error' | 'warning';

export interface IDiagnostic {
  severity: Severity;
  message: string;
  /** 1-based notebook cell number, counting every cell. */
  cell: number | null;
  line: number | null;
  step: string | null;
  /** The place as the server words it everywhere ("step 'x', cell 3 (In [2]), line 4"). */
  where?: string | null;
}

export interface IParameter {
  name: string;
  default: unknown;
  type: string;
  cell: number;
}

export interface IStepInput {
  name: string;
  producer: string;
}

export interface IStepInfo {
  name: string;
  /** 1-based notebook cell numbers. */
  cells: number[];
  inputs: IStepInput[];
  outputs: string[];
  upstream: string[];
  settings: Record<string, unknown>;
}

export type Edge = [string, string];

export interface IAnalysis {
  /** Null when the notebook cannot become a pipeline; `diagnostics` says why. */
  pipeline: {
    name: string;
    description: string;
    experiment: string | null;
    parameters: IParameter[];
    /** The split in effect (`auto` resolved to what it picked). */
    split?: SplitChoice;
  } | null;
  steps: IStepInfo[];
  edges: Edge[];
  diagnostics: IDiagnostic[];
}

export type StepState = 'waiting' | 'running' | 'cached' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

export type RunState =
  | 'starting'
  | 'running'
  | 'cancelling'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  /** Recorded as running by a server that went away. */
  | 'interrupted';

export interface IRunError {
  step: string | null;
  cell: number | null;
  line: number | null;
  message: string;
  traceback: string;
  hint?: string;
  ename?: string;
  evalue?: string;
  /** The folder that filled up, when that is what ended the run. */
  no_space?: string;
  /** The cell as Jupyter names it to the user, worded by the server. */
  where?: string | null;
  /** The failing cell's `In [n]` in the saved notebook. */
  execution_count?: number | null;
}

export type SplitChoice = 'auto' | 'tags' | 'headings' | 'cells';

export interface IPlanEvent {
  type: 'plan';
  seq?: number;
  steps: string[];
  edges: Edge[];
}

export interface IStepEvent {
  type: 'step';
  seq?: number;
  step: string;
  state: StepState;
  elapsed: number;
  /** Set when a step is retried: the attempt about to start. */
  attempt?: number;
  /** Set when the step failed. */
  error?: IRunError;
}

export interface IRunResult {
  ok: boolean;
  output: string | null;
  error: IRunError | null;
  /** The executed notebook as a contents path, when it is under the server root. */
  output_path?: string | null;
  /** The run page (Kubeflow Pipelines). */
  output_url?: string | null;
}

export interface IFinishedEvent extends IRunResult {
  type: 'finished';
  seq?: number;
  metrics?: Record<string, number>;
}

/** Waiting for the work directory (`notice`), or saved values found damaged (`warning`). */
export interface INoticeEvent {
  type: 'notice' | 'warning';
  seq?: number;
  message: string;
}

/** What a running step printed since the last event (live output). */
export interface IOutputEvent {
  type: 'output';
  seq?: number;
  step: string;
  name: 'stdout' | 'stderr';
  text: string;
}

/** A remote backend's cluster accepted the run: its id there and its page. */
export interface ISubmittedEvent {
  type: 'submitted';
  seq?: number;
  run_id: string;
  url: string | null;
}

export type RunEvent = IPlanEvent | IStepEvent | INoticeEvent | IOutputEvent | ISubmittedEvent | IFinishedEvent;

export interface IStepProgress {
  state: StepState;
  elapsed: number;
}

export interface IRunStatus {
  id: string;
  path: string;
  backend: Backend;
  started: number;
  state: Exclude<RunState, 'starting'>;
  plan: { steps: string[]; edges: Edge[] };
  steps: Record<string, IStepProgress>;
  result: IRunResult | null;
  events: number;
  /** When it ended (seconds since the epoch), null while it runs. */
  finished?: number | null;
  parameters?: Record<string, unknown>;
  split?: SplitChoice | null;
  kfp_run_id?: string | null;
  /** The Kubeflow run page, known from submission on. */
  output_url?: string | null;
}

export interface ICompileResult {
  filename: string;
  yaml: string;
}

export interface IServerInfo {
  version: string;
  /** The backends this server can run now. */
  backends: Backend[];
  /** Every backend the server knows (its registry), with what a missing one needs. */
  backend_choices?: IBackendChoice[];
}

export interface IBackendChoice {
  name: Backend;
  label: string;
  available: boolean;
  /** The pip extra the server needs for it, when it is not available. */
  needs: string;
  /** Sends the pipeline to a cluster; the run ends with its run page. */
  remote: boolean;
}

/** The body of every error response (one mapper on the server makes them). */
export interface IServerErrorBody {
  message: string;
  diagnostic?: IDiagnostic;
  traceback?: string;
}

/** A backend's name, as the server's registry lists it (`IServerInfo.backends`). */
export type Backend = string;

/** Kubeflow connection: JupyterLab settings, never written into the notebook. */
export interface IKfpSettings {
  host: string;
  namespace: string;
  authMode: 'none' | 'token';
  token: string;
}

export interface IUserSettings {
  backend: Backend;
  kfp: IKfpSettings;
}

/** What the panel keeps in the notebook's `metadata.kale_like` (the CLI reads it too). */
export interface IPipelineMetadata {
  enabled: boolean;
  pipeline_name: string;
  description: string;
  experiment: string;
  base_image: string;
  /** How untagged cells become steps. */
  split: SplitChoice;
}

export interface IRunRequest {
  path: string;
  split?: SplitChoice;
  backend: Backend;
  parameters: Record<string, unknown>;
  /** Connection only; the experiment and the rest travel in the notebook. */
  kfp?: { host?: string; namespace?: string; token?: string };
}

/** The part of a notebook file the panel reads back: cells with their outputs. */
export interface INotebookJSON {
  cells: Array<{
    id?: string;
    cell_type: string;
    source: string | string[];
    outputs?: unknown[];
    execution_count?: number | null;
    metadata?: { tags?: string[] };
  }>;
}
