/**
 * kale_like in JupyterLab: a left side panel for the active notebook, a tag editor
 * bar on every code cell, a live DAG preview, and Compile and Run with progress.
 */
import { ILabShell, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { LabIcon } from '@jupyterlab/ui-components';

import { NotebookTagBars } from './cellbars';
import { DEFAULT_USER_SETTINGS, PipelineModel } from './model';
import { NotebookDocument } from './notebook';
import { PipelinePanel } from './panel';
import { KaleLikeClient } from './request';
import { IUserSettings } from './wire';
import { tracebackWidget } from './traceback';

const PLUGIN_ID = 'kale-like:plugin';

export const pipelineIcon = new LabIcon({
  name: 'kale-like:pipeline',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16">' +
    '<g class="jp-icon3" fill="#616161"><rect x="8" y="2" width="8" height="5" rx="1"/>' +
    '<rect x="2" y="17" width="8" height="5" rx="1"/><rect x="14" y="17" width="8" height="5" rx="1"/>' +
    '<path d="M11 7h2v4h5v6h-2v-4H8v4H6v-6h5z"/></g></svg>'
});

function readUserSettings(settings: ISettingRegistry.ISettings): IUserSettings {
  const kfp = (settings.get('kfp').composite ?? {}) as Partial<IUserSettings['kfp']>;
  return {
    backend: (settings.get('backend').composite as string | undefined) || 'local',
    kfp: { ...DEFAULT_USER_SETTINGS.kfp, ...kfp }
  };
}

function downloadText(filename: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/yaml' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function trackNotebooks(tracker: INotebookTracker, model: PipelineModel): void {
  const documents = new Map<NotebookPanel, NotebookDocument>();
  const follow = (panel: NotebookPanel | null) => {
    model.setDocument(panel ? (documents.get(panel) ?? null) : null);
  };
  const adopt = async (panel: NotebookPanel) => {
    await panel.context.ready;
    if (panel.isDisposed) {
      return;
    }
    const document = new NotebookDocument(panel);
    const bars = new NotebookTagBars(panel, document, model);
    documents.set(panel, document);
    panel.disposed.connect(() => {
      bars.dispose();
      document.dispose();
      documents.delete(panel);
      if (model.document === document) {
        follow(tracker.currentWidget);
      }
    });
    if (tracker.currentWidget === panel) {
      follow(panel);
    }
  };
  tracker.widgetAdded.connect((_, panel) => void adopt(panel));
  tracker.forEach(panel => void adopt(panel));
  tracker.currentChanged.connect((_, panel) => follow(panel));
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Turn the active notebook into a pipeline: tag steps, preview the DAG, compile and run.',
  autoStart: true,
  requires: [ILabShell, INotebookTracker],
  optional: [ISettingRegistry, IRenderMimeRegistry],
  activate: (
    app: JupyterFrontEnd,
    shell: ILabShell,
    tracker: INotebookTracker,
    registry: ISettingRegistry | null,
    rendermime: IRenderMimeRegistry | null
  ) => {
    const model = new PipelineModel({ client: new KaleLikeClient(), download: downloadText });
    let settings: ISettingRegistry.ISettings | null = null;
    const panel = new PipelinePanel(model, {
      openPath: path => void app.commands.execute('docmanager:open', { path }),
      rendermime,
      openTraceback: rendermime
        ? (title, text) => shell.add(tracebackWidget(rendermime, title, text), 'main', { mode: 'split-right' })
        : undefined,
      saveUserSettings: next => {
        model.setUserSettings(next);
        if (settings) {
          void settings.set('backend', next.backend).then(() => settings!.set('kfp', { ...next.kfp }));
        }
      }
    });
    panel.title.icon = pipelineIcon;
    shell.add(panel, 'left', { rank: 300 });
    trackNotebooks(tracker, model);
    void model.loadServerInfo();
    if (registry) {
      void registry.load(PLUGIN_ID).then(loaded => {
        settings = loaded;
        model.setUserSettings(readUserSettings(loaded));
        loaded.changed.connect(() => model.setUserSettings(readUserSettings(loaded)));
      });
    }
  }
};

export default plugin;
