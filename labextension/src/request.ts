/**
 * Talking to the server extension: `requestAPI` for JSON calls and
 * `streamRunEvents` for a run's server-sent events, both through
 * `ServerConnection`, which adds the token and the XSRF header.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { ServerError } from './errors';
import {
  IAnalysis,
  ICompileResult,
  INotebookJSON,
  IRunRequest,
  IRunStatus,
  IServerErrorBody,
  IServerInfo,
  RunEvent,
  SplitChoice
} from './wire';

export { ServerError };

function urlOf(endPoint: string, settings: ServerConnection.ISettings): string {
  return URLExt.join(settings.baseUrl, 'kale-like', endPoint);
}

export async function requestAPI<T>(
  endPoint: string,
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const response = await ServerConnection.makeRequest(urlOf(endPoint, settings), init, settings);
  const text = await response.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { message: text };
    }
  }
  if (!response.ok) {
    const body = (data as IServerErrorBody | null) ?? { message: response.statusText };
    throw new ServerError(response.status, body);
  }
  return data as T;
}

export interface ISseMessage {
  id: string | null;
  data: string;
}

/**
 * Split a server-sent-events buffer into complete messages and the unfinished rest.
 * Comments (`: keep-alive`) are dropped.
 */
export function parseSSE(buffer: string): { messages: ISseMessage[]; rest: string } {
  const messages: ISseMessage[] = [];
  const blocks = buffer.replace(/\r\n?/g, '\n').split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let id: string | null = null;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('id:')) {
        id = line.slice(3).trim();
      } else if (line.startsWith('data:')) {
        data.push(line.slice(5).replace(/^ /, ''));
      }
    }
    if (data.length) {
      messages.push({ id, data: data.join('\n') });
    }
  }
  return { messages, rest };
}

/**
 * Follow a run's events from event `after + 1` until the server ends the stream.
 * Resolves with the number of the last event seen (-1 if none).
 */
export async function streamRunEvents(
  runId: string,
  after: number,
  onEvent: (event: RunEvent) => void,
  signal?: AbortSignal,
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<number> {
  const url = urlOf(`runs/${runId}/events`, settings) + `?after=${after}`;
  const response = await ServerConnection.makeRequest(
    url,
    { method: 'GET', headers: { Accept: 'text/event-stream' }, signal },
    settings
  );
  if (!response.ok || !response.body) {
    throw new ServerError(response.status, { message: `event stream failed (${response.status})` });
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let last = after;
  for (;;) {
    const { value, done } = await reader.read();
    buffer += decoder.decode(value ?? new Uint8Array(), { stream: !done });
    const { messages, rest } = parseSSE(done ? buffer + '\n\n' : buffer);
    buffer = rest;
    for (const message of messages) {
      const event = JSON.parse(message.data) as RunEvent;
      last = event.seq ?? last + 1;
      onEvent(event);
    }
    if (done) {
      return last;
    }
  }
}

/** Everything the panel asks of the server; the model takes one, tests pass a fake. */
export interface IKaleLikeClient {
  info(): Promise<IServerInfo>;
  analyze(path: string, content?: unknown, split?: SplitChoice): Promise<IAnalysis>;
  compile(path: string, split?: SplitChoice): Promise<ICompileResult>;
  startRun(request: IRunRequest): Promise<IRunStatus>;
  runStatus(runId: string): Promise<IRunStatus>;
  cancelRun(runId: string): Promise<IRunStatus>;
  /** Recent runs of one notebook, newest first (they outlive reloads and restarts). */
  runHistory(path: string): Promise<IRunStatus[]>;
  /** A notebook file's JSON, through the contents API (the executed notebook). */
  notebookContent(path: string): Promise<INotebookJSON>;
  streamRunEvents(
    runId: string,
    after: number,
    onEvent: (event: RunEvent) => void,
    signal?: AbortSignal
  ): Promise<number>;
}

export class KaleLikeClient implements IKaleLikeClient {
  constructor(readonly settings: ServerConnection.ISettings = ServerConnection.makeSettings()) {}

  info(): Promise<IServerInfo> {
    return requestAPI<IServerInfo>('info', {}, this.settings);
  }

  analyze(path: string, content?: unknown, split?: SplitChoice): Promise<IAnalysis> {
    return this.post<IAnalysis>('analyze', { path, content, split });
  }

  compile(path: string, split?: SplitChoice): Promise<ICompileResult> {
    return this.post<ICompileResult>('compile', { path, split });
  }

  startRun(request: IRunRequest): Promise<IRunStatus> {
    return this.post<IRunStatus>('runs', request);
  }

  runStatus(runId: string): Promise<IRunStatus> {
    return requestAPI<IRunStatus>(`runs/${runId}`, {}, this.settings);
  }

  cancelRun(runId: string): Promise<IRunStatus> {
    return this.post<IRunStatus>(`runs/${runId}/cancel`, {});
  }

  runHistory(path: string): Promise<IRunStatus[]> {
    return requestAPI<IRunStatus[]>(`runs?path=${encodeURIComponent(path)}`, {}, this.settings);
  }

  async notebookContent(path: string): Promise<INotebookJSON> {
    const url =
      URLExt.join(this.settings.baseUrl, 'api/contents', URLExt.encodeParts(path)) + '?content=1&type=notebook';
    const response = await ServerConnection.makeRequest(url, {}, this.settings);
    const body = await response.json();
    if (!response.ok) {
      throw new ServerError(response.status, { message: body?.message ?? `cannot read ${path}` });
    }
    return body.content as INotebookJSON;
  }

  streamRunEvents(
    runId: string,
    after: number,
    onEvent: (event: RunEvent) => void,
    signal?: AbortSignal
  ): Promise<number> {
    return streamRunEvents(runId, after, onEvent, signal, this.settings);
  }

  private post<T>(endPoint: string, body: unknown): Promise<T> {
    return requestAPI<T>(
      endPoint,
      { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } },
      this.settings
    );
  }
}
