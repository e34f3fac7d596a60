/**
 * The remote engine's connection against a real WebSocket server that answers
 * as a faulty server might: a malformed result fails its own request with a
 * ProtocolError naming the op and the field, and the connection serves the next.
 * (Node only: it runs a WebSocket server, hence test/unit/server.)
 */
import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { ProtocolError } from '../../../src/engine/errors.js';
import { decodeFrame, encodeFrame } from '../../../src/protocol/codec.js';
import { PROTOCOL_VERSION } from '../../../src/protocol/messages.js';
import { Connection, type WebSocketConstructor } from '../../../src/remote/connection.js';
import { rejectionOf } from '../../contract/helpers.js';

/** Answers each request with `answers[op]`, as JSON result (or as the raw message when it is a function). */
async function fakeServer(answers: Record<string, unknown>): Promise<{ url: string; close(): Promise<void> }> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  server.on('connection', (socket) => {
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      const message = decodeFrame(isBinary ? data : data.toString('utf8')).message as { t: string; id: number; op: string };
      if (message.t === 'hello') socket.send(encodeFrame({ t: 'hello', v: PROTOCOL_VERSION, session: 'test' }));
      if (message.t === 'req') socket.send(encodeFrame({ t: 'res', id: message.id, ok: true, result: answers[message.op] }));
    });
  });
  const { port } = server.address() as AddressInfo;
  return { url: `ws://127.0.0.1:${port}`, close: () => {
      for (const client of server.clients) client.terminate();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function connect(url: string, onFinalClose: (error: Error) => void = () => undefined): Connection {
  return new Connection({
    websocketUrl: url,
    token: 't',
    expiresAt: Date.now() + 3_600_000,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    onEvent: () => undefined,
    onPort: () => undefined,
    resumeState: () => ({}),
    onFinalClose,
  });
}

describe('remote connection: results checked on receipt', () => {
  it('rejects a malformed result with a ProtocolError naming the op and the field, and keeps serving', async () => {
    const server = await fakeServer({ exec: { pid: 'seven' }, readdir: [{ name: 'a.txt', kind: 'file' }] });
    let closed: Error | undefined;
    const connection = connect(server.url, (error) => (closed = error));
    try {
      await connection.ready;
      const error = await rejectionOf(() => connection.call('exec', { cmd: 'ls', args: [] }));
      expect(error).to.be.instanceOf(ProtocolError);
      expect(error.message).to.equal('Malformed answer to the "exec" request: pid must be an integer from 0 to 9007199254740991.');
      expect(await connection.call('readdir', { path: '' })).to.deep.equal([{ name: 'a.txt', kind: 'file' }]);
      expect(closed).to.equal(undefined);
    } finally {
      connection.close();
      await server.close();
    }
  });

  it('gives a typed result with only the fields the schema knows', async () => {
    const server = await fakeServer({ devServer: { pid: 2, port: 5173, url: 'http://s-5173.localhost', debug: 'dropped' } });
    const connection = connect(server.url);
    try {
      await connection.ready;
      const result = await connection.call('devServer', {});
      expect(result).to.deep.equal({ pid: 2, port: 5173, url: 'http://s-5173.localhost' });
    } finally {
      connection.close();
      await server.close();
    }
  });
});
