/**
 * Puts a tag editor bar on every code cell of a notebook and paints each cell's
 * left edge with its step's colour. Cells come and go (added, moved, turned into
 * markdown), so the bars are reconciled whenever the cell list changes.
 */
import { showErrorMessage } from '@jupyterlab/apputils';
import { Cell } from '@jupyterlab/cells';
import { NotebookPanel } from '@jupyterlab/notebook';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import { IDisposable } from '@lumino/disposable';
import { Signal } from '@lumino/signaling';
import { PanelLayout } from '@lumino/widgets';
import * as React from 'react';

import { stepColor } from './colors';
import { pipelineMetadata, renameStepAt } from './document';
import { PipelineModel } from './model';
import { NotebookDocument } from './notebook';
import { editStepSettings } from './settingsdialog';
import { TagEditor } from './tageditor';
import { readCellTags, stepsInTags, withSettings } from './tags';

const ENABLED_CLASS = 'kale-like-enabled';
const STEP_CELL_CLASS = 'kale-like-step-cell';

/** What a bar needs to know about the rest of the notebook. */
interface IStepIndex {
  earlier(cell: number): string[];
  known(): string[];
  stepOf(cell: number): string | null;
  colorOf(step: string): string;
}

class CellTagBar extends ReactWidget {
  constructor(
    readonly cell: Cell,
    private _bars: NotebookTagBars
  ) {
    super();
    this.addClass('kale-like-tagbar-widget');
  }

  protected render(): JSX.Element {
    return (
      <UseSignal signal={this._bars.refreshed}>
        {() => {
          const number = this._bars.numberOf(this.cell);
          const index = this._bars.stepIndex();
          return (
            <TagEditor
              tags={tagsOf(this.cell)}
              cell={number}
              earlierSteps={index.earlier(number)}
              knownSteps={index.known()}
              effectiveStep={index.stepOf(number)}
              onChange={tags => setTags(this.cell, tags)}
              onRename={(from, to) => this._bars.renameStep(this.cell, from, to)}
              colorOf={index.colorOf}
              onEditSettings={() => void this._editSettings()}
            />
          );
        }}
      </UseSignal>
    );
  }

  private async _editSettings(): Promise<void> {
    const parsed = readCellTags(tagsOf(this.cell));
    const settings = await editStepSettings(parsed.step ?? '', parsed.settings);
    if (!settings) {
      return;
    }
    try {
      setTags(this.cell, withSettings(tagsOf(this.cell), settings));
    } catch (error) {
      await showErrorMessage('Step settings not saved', (error as Error).message);
    }
  }
}

export class NotebookTagBars implements IDisposable {
  constructor(
    readonly panel: NotebookPanel,
    readonly document: NotebookDocument,
    private _model: PipelineModel
  ) {
    panel.content.model?.cells.changed.connect(this._scheduleReconcile, this);
    document.changed.connect(this._refresh, this);
    _model.changed.connect(this._refresh, this);
    this._scheduleReconcile();
  }

  get refreshed() {
    return this._refreshed;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  numberOf(cell: Cell): number {
    return this.panel.content.widgets.indexOf(cell) + 1;
  }

  /** Steps as the analysis sees them when this notebook is the model's, else from tags. */
  stepIndex(): IStepIndex {
    const tags = this.document.cells().map(c => c.tags);
    const firstCell = new Map<string, number>();
    stepsInTags(tags).forEach((index, name) => firstCell.set(name, index + 1));
    const active = this._model.document === this.document;
    if (active) {
      for (const step of this._model.steps) {
        const first = Math.min(...step.cells);
        firstCell.set(step.name, Math.min(first, firstCell.get(step.name) ?? first));
      }
    }
    return {
      earlier: cell => [...firstCell].filter(([, first]) => first < cell).map(([name]) => name),
      known: () => [...firstCell.keys()],
      stepOf: cell => (active ? this._model.stepOfCell(cell) : readCellTags(tags[cell - 1] ?? []).step),
      colorOf: step => (active ? this._model.colorOf(step) : stepColor(step))
    };
  }

  /** Rename a step in every cell: its `step:` tags and the `prev:` tags that name it. */
  renameStep(cell: Cell, from: string, to: string): void {
    renameStepAt(this.document, this.numberOf(cell) - 1, from, to);
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this.panel.content.model?.cells.changed.disconnect(this._scheduleReconcile, this);
    this.document.changed.disconnect(this._refresh, this);
    this._model.changed.disconnect(this._refresh, this);
    this._bars.forEach(bar => bar.dispose());
    this._bars.clear();
  }

  private _scheduleReconcile(): void {
    // Cell widgets are created after the model change that announces them.
    requestAnimationFrame(() => this._reconcile());
  }

  private _reconcile(): void {
    if (this._disposed) {
      return;
    }
    const live = new Set<Cell>();
    for (const cell of this.panel.content.widgets) {
      if (cell.model.type !== 'code') {
        continue;
      }
      live.add(cell);
      if (!this._bars.has(cell)) {
        const bar = new CellTagBar(cell, this);
        this._bars.set(cell, bar);
        void cell.ready.then(() => {
          if (!bar.isDisposed && !cell.isDisposed) {
            (cell.layout as PanelLayout).insertWidget(1, bar);
          }
        });
      }
    }
    for (const [cell, bar] of this._bars) {
      if (!live.has(cell)) {
        bar.dispose();
        this._bars.delete(cell);
      }
    }
    this._refresh();
  }

  private _refresh(): void {
    if (this._disposed) {
      return;
    }
    const enabled = pipelineMetadata(this.document).enabled;
    this.panel.content.toggleClass(ENABLED_CLASS, enabled);
    const index = this.stepIndex();
    this.panel.content.widgets.forEach((cell, i) => {
      const step = enabled && cell.model.type === 'code' ? index.stepOf(i + 1) : null;
      cell.toggleClass(STEP_CELL_CLASS, step !== null);
      if (step) {
        cell.node.style.setProperty('--kale-like-step-color', index.colorOf(step));
      } else {
        cell.node.style.removeProperty('--kale-like-step-color');
      }
    });
    this._refreshed.emit();
  }

  private _bars = new Map<Cell, CellTagBar>();
  private _disposed = false;
  private _refreshed = new Signal<NotebookTagBars, void>(this);
}

function tagsOf(cell: Cell): string[] {
  const tags = cell.model.sharedModel.getMetadata('tags');
  return Array.isArray(tags) ? tags.map(String) : [];
}

function setTags(cell: Cell, tags: string[]): void {
  if (tags.length) {
    cell.model.sharedModel.setMetadata('tags', tags);
  } else {
    cell.model.sharedModel.deleteMetadata('tags');
  }
}
