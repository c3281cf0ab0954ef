/**
 * The notebook as the panel's model sees it, and the pipeline settings it keeps in
 * `metadata.kale_like`. `notebook.ts` adapts a JupyterLab NotebookPanel to it; tests
 * use a fake.
 */
import { ISignal } from '@lumino/signaling';

import { readCellTags } from './tags';
import { IPipelineMetadata } from './tokens';

export interface ICellView {
  type: string;
  tags: string[];
}

/** The notebook as the model sees it. `index.ts` adapts a JupyterLab NotebookPanel. */
export interface INotebookDocument {
  readonly path: string;
  /** Cells, tags, sources or notebook metadata changed. */
  readonly changed: ISignal<INotebookDocument, void>;
  cells(): ICellView[];
  setCellTags(index: number, tags: string[]): void;
  metadata(): Partial<IPipelineMetadata>;
  setMetadata(patch: Partial<IPipelineMetadata>): void;
  /** The notebook as JSON, unsaved edits included. */
  content(): unknown;
  save(): Promise<void>;
  /** Scroll to and select a cell (1-based number). */
  revealCell(cell: number): void;
  /** Show which cell failed (1-based), or clear the mark with null. */
  markFailedCell(cell: number | null): void;
}

/**
 * A notebook's pipeline settings with defaults filled in. A notebook that already
 * carries pipeline tags (from Kale, or the CLI) starts enabled.
 */
export function pipelineMetadata(document: INotebookDocument | null): IPipelineMetadata {
  const stored = document?.metadata() ?? {};
  const tagged = () => (document?.cells() ?? []).some(c => readCellTags(c.tags).role !== 'none');
  return {
    enabled: stored.enabled ?? tagged(),
    pipeline_name: stored.pipeline_name ?? '',
    description: stored.description ?? '',
    experiment: stored.experiment ?? '',
    base_image: stored.base_image ?? ''
  };
}
