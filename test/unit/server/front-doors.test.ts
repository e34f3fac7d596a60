/** Front doors: handlers tried in order before the app, for requests and upgrades; on a real node:http server. Node only. */
import { EventEmitter, once } from 'node:events';
import type { Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { expect } from 'chai';
import { frontDoorServer, type FrontDoor } from '../../../src/server/orchestrator/front-doors.js';

/** A door that takes requests and upgrades whose path starts with `prefix`, answering `name`. */
function door(name: string, prefix: string): FrontDoor {
  return {
    request(req, res) {
      if (!req.url?.startsWith(prefix)) return false;
      let bytes = 0;
      req.on('data', (chunk: Buffer) => (bytes += chunk.length));
      req.on('end', () => res.end(`${name} read ${bytes} bytes`));
      return true;
    },
    upgrade(req, socket) {
      if (!req.url?.startsWith(prefix)) return false;
      socket.end(`HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\r\n${name} upgraded`);
      return true;
    },
  };
}

/** Sends a raw upgrade request and resolves with everything the server wrote before closing. */
async function rawUpgrade(port: number, path: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(`GET ${path} HTTP/1.1\r\nhost: localhost\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\r\n`);
  let text = '';
  socket.on('data', (chunk) => (text += chunk));
  await once(socket, 'close');
  return text;
}

describe('front doors', () => {
  let server: Server;
  let base: string;
  let port: number;
  const upgrades = new EventEmitter();
  const broken: FrontDoor = {
    request: (req) => {
      if (req.url === '/broken') throw new Error('door bug');
      return false;
    },
    upgrade: () => false,
  };

  before(async () => {
    const doors = [door('first', '/preview'), door('second', '/p'), broken];
    server = frontDoorServer(doors, (_req, res) => res.end('app'), upgrades, () => undefined);
    upgrades.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\napp refused'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  it('hands a request to the first door that takes it, streaming its whole body; the rest reach the app', async () => {
    const big = 'x'.repeat(1024 * 1024);
    expect(await (await fetch(`${base}/preview/upload`, { method: 'POST', body: big })).text()).to.equal(`first read ${big.length} bytes`);
    expect(await (await fetch(`${base}/p`)).text(), 'the second door, when the first passes').to.equal('second read 0 bytes');
    expect(await (await fetch(`${base}/sessions`)).text()).to.equal('app');
  });

  it('hands an upgrade to the door that takes it; others reach the app\'s upgrade listener', async () => {
    expect(await rawUpgrade(port, '/preview/hmr')).to.contain('101 Switching Protocols').and.to.contain('first upgraded');
    expect(await rawUpgrade(port, '/sessions/abcd/ws')).to.contain('404 Not Found').and.to.contain('app refused');
  });

  it('answers a door that throws with a 500 and keeps serving', async () => {
    const response = await fetch(`${base}/broken`);
    expect(response.status).to.equal(500);
    expect(await response.json()).to.deep.equal({ error: { code: 'INTERNAL', message: 'Internal server error.' } });
    expect(await (await fetch(`${base}/`)).text()).to.equal('app');
  });
});
