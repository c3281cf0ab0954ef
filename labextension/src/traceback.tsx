/**
 * A failed step's traceback as JupyterLab shows it in a notebook: through its own
 * OutputArea and rendermime (ANSI colours and all), the user's cells first and the
 * library frames folded away, with a wide view in the main area one click away.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import { OutputArea, OutputAreaModel } from '@jupyterlab/outputarea';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { Panel, Widget } from '@lumino/widgets';
import * as React from 'react';

// ANSI colour codes start with the ESC control character, so matching one is the point.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** A frame header as IPython writes it: `Cell In[3], line 2`, `File /x.py:12, in f()`, `<cell 3>`. */
const FRAME_START = /^(Cell In\s*\[|Input In\s*\[|File\s|\s*File "|<cell \d+>)/;
const USER_FRAME = /^(Cell In\s*\[|Input In\s*\[|<cell \d+>|File\s+<cell \d+>|\s*File "<cell \d+>")/;

export interface ITracebackParts {
  /** The dashed header line(s) and the exception line, always shown. */
  head: string;
  user: string;
  library: string;
  /** The last line: `ValueError: boom`. */
  tail: string;
  libraryFrames: number;
}

/** Split an IPython traceback into user frames and library frames, keeping colours. */
export function splitTraceback(text: string): ITracebackParts {
  const lines = text.replace(/\n+$/, '').split('\n');
  let tailStart = lines.length;
  while (tailStart > 0 && !stripAnsi(lines[tailStart - 1]).trim()) {
    tailStart--;
  }
  tailStart = Math.max(0, tailStart - 1);
  const head: string[] = [];
  const user: string[] = [];
  const library: string[] = [];
  let target: string[] = head;
  let libraryFrames = 0;
  lines.slice(0, tailStart).forEach(line => {
    const plain = stripAnsi(line);
    if (FRAME_START.test(plain)) {
      target = USER_FRAME.test(plain) ? user : library;
      if (target === library) {
        libraryFrames++;
      }
    }
    target.push(line);
  });
  return {
    head: head.join('\n'),
    user: user.join('\n'),
    library: library.join('\n'),
    tail: lines.slice(tailStart).join('\n'),
    libraryFrames
  };
}

/** An OutputArea showing one error output, as a notebook cell would. */
export function errorOutputArea(rendermime: IRenderMimeRegistry, text: string, ename = '', evalue = ''): OutputArea {
  const model = new OutputAreaModel({ trusted: true });
  model.add({ output_type: 'error', ename, evalue, traceback: [text] });
  const area = new OutputArea({ model, rendermime });
  area.addClass('kale-like-traceback-output');
  return area;
}

function LuminoHost(props: { make: () => Widget; label: string }): JSX.Element {
  const host = React.useRef<HTMLDivElement>(null);
  const { make } = props;
  React.useEffect(() => {
    const widget = make();
    Widget.attach(widget, host.current!);
    return () => widget.dispose();
  }, [make]);
  return <div ref={host} aria-label={props.label} role="region" className="kale-like-output-host" />;
}

export function TracebackView(props: {
  text: string;
  ename?: string;
  evalue?: string;
  rendermime?: IRenderMimeRegistry | null;
  openWide?: (title: string, text: string) => void;
  title: string;
}): JSX.Element {
  const { text, rendermime } = props;
  const parts = React.useMemo(() => splitTraceback(text), [text]);
  const shown = [parts.head, parts.user, parts.tail].filter(Boolean).join('\n');
  const makeShown = React.useCallback(() => errorOutputArea(rendermime!, shown), [rendermime, shown]);
  const makeLibrary = React.useCallback(() => errorOutputArea(rendermime!, parts.library), [rendermime, parts.library]);
  return (
    <div className="kale-like-traceback">
      {rendermime ? (
        <LuminoHost make={makeShown} label="Traceback" />
      ) : (
        <pre className="kale-like-traceback-text" aria-label="Traceback" role="region">
          {stripAnsi(shown)}
        </pre>
      )}
      {parts.libraryFrames > 0 && (
        <details>
          <summary>
            {parts.libraryFrames} more frame{parts.libraryFrames > 1 ? 's' : ''} in libraries
          </summary>
          {rendermime ? (
            <LuminoHost make={makeLibrary} label="Library frames" />
          ) : (
            <pre className="kale-like-traceback-text">{stripAnsi(parts.library)}</pre>
          )}
        </details>
      )}
      {props.openWide && (
        <button type="button" className="kale-like-link" onClick={() => props.openWide!(props.title, text)}>
          Open traceback in a tab
        </button>
      )}
    </div>
  );
}

/** The whole traceback in the main area, as wide as the window. */
export function tracebackWidget(rendermime: IRenderMimeRegistry, title: string, text: string): MainAreaWidget {
  const content = new Panel();
  content.addClass('kale-like-traceback-tab');
  content.addWidget(errorOutputArea(rendermime, text));
  const widget = new MainAreaWidget({ content });
  widget.id = `kale-like-traceback-${Date.now()}`;
  widget.title.label = title;
  widget.title.closable = true;
  return widget;
}
