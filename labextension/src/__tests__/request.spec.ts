import { ServerConnection } from '@jupyterlab/services';

import { KaleLikeClient, parseSSE, requestAPI, ServerError } from '../request';

function settingsWith(fake: (request: Request) => Promise<Response>): ServerConnection.ISettings {
  return ServerConnection.makeSettings({
    baseUrl: 'http://localhost:8888/',
    token: 'secret',
    fetch: (input: RequestInfo) => fake(input as Request)
  });
}

describe('parseSSE', () => {
  it('splits complete messages and keeps the rest', () => {
    const { messages, rest } = parseSSE('id: 0\ndata: {"a":1}\n\n: keep-alive\n\nid: 1\ndata: {"b"');
    expect(messages).toEqual([{ id: '0', data: '{"a":1}' }]);
    expect(rest).toBe('id: 1\ndata: {"b"');
  });

  it('joins multi-line data and accepts CRLF', () => {
    expect(parseSSE('data: a\r\ndata: b\r\n\r\n').messages).toEqual([{ id: null, data: 'a\nb' }]);
  });
});

describe('requestAPI', () => {
  it('calls /kale-like/ with the token', async () => {
    const seen: Request[] = [];
    const settings = settingsWith(async request => {
      seen.push(request);
      return new Response('{"version":"0.1.0","backends":["local"]}', { status: 200 });
    });
    const info = await requestAPI<{ version: string }>('info', {}, settings);
    expect(info.version).toBe('0.1.0');
    expect(seen[0].url).toMatch(/^http:\/\/localhost:8888\/kale-like\/info/);
    expect(seen[0].headers.get('Authorization')).toBe('token secret');
  });

  it('turns an error response into a ServerError with the diagnostic', async () => {
    const body = {
      message: 'cell 2: invalid tag',
      diagnostic: { severity: 'error', message: 'invalid tag', cell: 2, line: null, step: null }
    };
    const settings = settingsWith(async () => new Response(JSON.stringify(body), { status: 400 }));
    const error = await new KaleLikeClient(settings).analyze('a.ipynb').catch(e => e);
    expect(error).toBeInstanceOf(ServerError);
    expect(error.status).toBe(400);
    expect(error.body.diagnostic.cell).toBe(2);
  });

  it('streams run events as they arrive', async () => {
    const chunks = [
      'id: 0\ndata: {"type":"plan","steps":["a"],"edges":[],"seq":0}\n\n: keep-alive\n\nid: 1\nda',
      'ta: {"type":"finished","ok":true,"output":null,"error":null,"seq":1}\n\n'
    ];
    const settings = settingsWith(async request => {
      expect(request.url).toContain('/kale-like/runs/abc/events?after=-1');
      const stream = new ReadableStream({
        start(controller) {
          chunks.forEach(c => controller.enqueue(new TextEncoder().encode(c)));
          controller.close();
        }
      });
      return new Response(stream, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
    });
    const events: unknown[] = [];
    const last = await new KaleLikeClient(settings).streamRunEvents('abc', -1, e => events.push(e.type));
    expect(events).toEqual(['plan', 'finished']);
    expect(last).toBe(1);
  });
});
