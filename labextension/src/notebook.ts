/**
 * `INotebookDocument` over a JupyterLab NotebookPanel: what the model reads and
 * writes (cell tags, `metadata.kale_like`), and where it points the user.
 */
import { NotebookPanel } from '@jupyterlab/notebook';
import { ISignal, Signal } from '@lumino/signaling';

import type { IOutput } from '@jupyterlab/nbformat';
import type { ISharedCodeCell } from '@jupyter/ydoc';

import { ICellView, INotebookDocument, matchExecutedCells } from './document';
import { INotebookJSON, IPipelineMetadata } from './wire';

export const METADATA_KEY = 'kale_like';
export const FAILED_CELL_CLASS = 'kale-like-failed-cell';

export class NotebookDocument implements INotebookDocument {
  constructor(readonly panel: NotebookPanel) {
    const model = panel.content.model;
    model?.contentChanged.connect(this._emit, this);
    model?.metadataChanged.connect(this._emit, this);
    panel.context.pathChanged.connect(this._emit, this);
  }

  get path(): string {
    return this.panel.context.path;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  cells(): ICellView[] {
    const cells = this.panel.content.model?.sharedModel.cells ?? [];
    return cells.map(cell => ({
      type: cell.cell_type,
      tags: tagsOf(cell.getMetadata('tags'))
    }));
  }

  setCellTags(index: number, tags: string[]): void {
    const cell = this.panel.content.model?.sharedModel.cells[index];
    if (!cell) {
      return;
    }
    if (tags.length) {
      cell.setMetadata('tags', tags);
    } else {
      cell.deleteMetadata('tags');
    }
  }

  metadata(): Partial<IPipelineMetadata> {
    const stored = this.panel.content.model?.getMetadata(METADATA_KEY);
    return stored && typeof stored === 'object' ? (stored as Partial<IPipelineMetadata>) : {};
  }

  setMetadata(patch: Partial<IPipelineMetadata>): void {
    const model = this.panel.content.model;
    if (!model) {
      return;
    }
    const next: Record<string, unknown> = { ...this.metadata(), ...patch };
    for (const key of Object.keys(next)) {
      if (next[key] === '' || next[key] === undefined) {
        delete next[key];
      }
    }
    model.setMetadata(METADATA_KEY, next);
  }

  content(): unknown {
    return this.panel.content.model?.toJSON();
  }

  async save(): Promise<void> {
    await this.panel.context.save();
  }

  revealCell(cell: number, line?: number | null): void {
    const notebook = this.panel.content;
    const widget = notebook.widgets[cell - 1];
    if (!widget) {
      return;
    }
    notebook.activeCellIndex = cell - 1;
    void notebook.scrollToCell(widget, 'center').then(() => {
      if (line && widget.editor) {
        // Edit mode with the cursor on the failing line, as clicking into the cell would.
        notebook.mode = 'edit';
        widget.editor.setCursorPosition({ line: line - 1, column: 0 });
        widget.editor.focus();
      }
    });
  }

  markFailedCell(cell: number | null): void {
    this.panel.content.widgets.forEach((widget, index) => {
      widget.toggleClass(FAILED_CELL_CLASS, cell === index + 1);
    });
    if (cell !== null) {
      this.revealCell(cell);
    }
  }

  applyOutputs(executed: INotebookJSON): number {
    const model = this.panel.content.model;
    if (!model) {
      return 0;
    }
    const cells = model.sharedModel.cells;
    const open = cells.map(cell => ({ id: cell.id, type: cell.cell_type, source: cell.getSource() }));
    const matches = matchExecutedCells(open, executed);
    let applied = 0;
    model.sharedModel.transact(() => {
      matches.forEach((index, i) => {
        const cell = cells[i] as ISharedCodeCell;
        if (index === null || cell.cell_type !== 'code') {
          return;
        }
        const source = executed.cells[index];
        cell.setOutputs((source.outputs ?? []) as IOutput[]);
        cell.execution_count = source.execution_count ?? null;
        applied++;
      });
    });
    return applied;
  }

  dispose(): void {
    Signal.clearData(this);
  }

  private _emit(): void {
    this._changed.emit();
  }

  private _changed = new Signal<this, void>(this);
}

function tagsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}
