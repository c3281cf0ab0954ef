/** What the panel's components may ask of JupyterLab: given by the plugin, so the
 * components (panel, run summary, history) depend on this interface, not on each other. */
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';

import { IUserSettings } from './wire';

export interface IPanelActions {
  /** Open a file from the server root (the executed notebook). */
  openPath: (path: string) => void;
  /** Persist settings that belong to the user, not the notebook. */
  saveUserSettings: (settings: IUserSettings) => void;
  /** JupyterLab's renderers, to show tracebacks as a notebook does (absent in unit tests). */
  rendermime?: IRenderMimeRegistry | null;
  /** Show a whole traceback in the main area. */
  openTraceback?: (title: string, text: string) => void;
}
