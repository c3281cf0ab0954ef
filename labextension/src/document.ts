/**
 * The notebook as the panel's model sees it, and the pipeline settings it keeps in
 * `metadata.kale_like`. `notebook.ts` adapts a JupyterLab NotebookPanel to it; tests
 * use a fake.
 */
import { ISignal } from '@lumino/signaling';

import { readCellTags, renameStepInTags } from './tags';
import { INotebookJSON, IPipelineMetadata, SplitChoice } from './wire';

export const SPLITS: ReadonlyArray<SplitChoice> = ['auto', 'tags', 'headings', 'cells'];

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
  /** Scroll to and select a cell (1-based number), with the cursor on `line` when given. */
  revealCell(cell: number, line?: number | null): void;
  /** Show which cell failed (1-based), or clear the mark with null. */
  markFailedCell(cell: number | null): void;
  /** Put an executed copy's outputs into this notebook's matching cells; returns how many cells got them. */
  applyOutputs(executed: INotebookJSON): number;
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
    base_image: stored.base_image ?? '',
    split: SPLITS.includes(stored.split as SplitChoice) ? (stored.split as SplitChoice) : 'auto'
  };
}

/**
 * The user typed a new step name in cell `index` (0-based), which was in step `from`.
 * On the step's first cell that renames the step: every `step:` tag of it and every
 * `prev:` naming it. On a later cell it splits that cell off under the new name,
 * and the rest of the step (and what depends on it) keeps the old one.
 */
export function renameStepAt(document: INotebookDocument, index: number, from: string, to: string): void {
  const cells = document.cells();
  const first = cells.findIndex(c => readCellTags(c.tags).step === from);
  if (first !== -1 && first !== index) {
    document.setCellTags(index, renameStepInTags(cells[index].tags, from, to));
    return;
  }
  cells.forEach((cell, i) => {
    const renamed = renameStepInTags(cell.tags, from, to);
    if (renamed.join('\n') !== cell.tags.join('\n')) {
      document.setCellTags(i, renamed);
    }
  });
}

/** The source of a cell, as one string. */
function sourceOf(source: string | string[]): string {
  return Array.isArray(source) ? source.join('') : source;
}

/**
 * Which executed cell holds the outputs of each open cell: by cell id, else by the
 * n-th code cell with the same source (the executed copy may have an injected
 * parameters cell the open notebook does not).
 */
export function matchExecutedCells(
  open: ReadonlyArray<{ id?: string; type: string; source: string }>,
  executed: INotebookJSON
): Array<number | null> {
  const code = executed.cells
    .map((cell, index) => ({ cell, index }))
    .filter(({ cell }) => cell.cell_type === 'code' && !(cell.metadata?.tags ?? []).includes('injected-parameters'));
  const byId = new Map(code.filter(c => c.cell.id).map(c => [c.cell.id!, c.index]));
  const used = new Set<number>();
  return open.map(cell => {
    if (cell.type !== 'code') {
      return null;
    }
    const found = cell.id !== undefined ? byId.get(cell.id) : undefined;
    const index = found ?? code.find(c => !used.has(c.index) && sourceOf(c.cell.source) === cell.source)?.index;
    if (index === undefined) {
      return null;
    }
    used.add(index);
    return index;
  });
}
