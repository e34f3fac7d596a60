/**
 * The agent protocol's client side without Docker: the frame codec, the
 * connection's requests/events/errors, and per-channel credit, against a peer
 * that speaks the same frames in memory.
 */
import { expect } from 'chai';
import { Duplex } from 'node:stream';
import { FileNotFoundError, InvalidPathError, ProtocolError } from '../../../src/engine/errors.js';
import { AgentConnection } from '../../../src/server/local-engine/agent/agent-connection.js';
import { sandboxError } from '../../../src/server/local-engine/agent/agent-errors.js';
import { spawnAgentProcess } from '../../../src/server/local-engine/agent/agent-process.js';
import { connectAgentSocket } from '../../../src/server/local-engine/agent/agent-socket.js';
import { WINDOW } from '../../../src/server/local-engine/agent/flow-control.js';
import { encodeBody, encodeData, encodeMessage, FrameDecoder, MAX_SMALL_FRAME, type Frame, type Json } from '../../../src/server/local-engine/agent/frames.js';
import { rejectionOf } from '../../contract/helpers.js';

/** The agent's side, in memory: records what the server sent, lets the test answer. */
function pair() {
  const fromServer: Frame[] = [];
  const decoder = new FrameDecoder();
  const connection = new AgentConnection((bytes) => fromServer.push(...decoder.push(bytes)));
  const messages = () => fromServer.filter((frame) => frame.kind !== 'data').map((frame) => (frame as { message: Json }).message);
  const request = (op: string) => messages().filter((message) => message['op'] === op).at(-1)!;
  const data = () => fromServer.filter((frame): frame is Extract<Frame, { kind: 'data' }> => frame.kind === 'data');
  return { connection, fromServer, messages, request, data, say: (message: Json) => connection.receive(encodeMessage(message)) };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('agent frames', () => {
  it('round-trips messages, data and bodies split at every byte boundary', () => {
    const bytes = Buffer.concat([
      encodeMessage({ event: 'ready', version: 1 }),
      encodeData(7, 2, Buffer.from('héllo')),
      encodeBody({ id: 3, ok: true, result: { size: 3 } }, Buffer.from([0, 1, 255])),
    ]);
    for (let split = 0; split <= bytes.length; split++) {
      const decoder = new FrameDecoder();
      const frames = [...decoder.push(bytes.subarray(0, split)), ...decoder.push(bytes.subarray(split))];
      expect(frames).to.have.length(3);
      expect(frames[0]).to.deep.equal({ kind: 'message', message: { event: 'ready', version: 1 } });
      expect(frames[1]).to.include({ kind: 'data', channel: 7, stream: 2 });
      expect((frames[1] as { bytes: Buffer }).bytes.toString()).to.equal('héllo');
      expect([...(frames[2] as { body: Buffer }).body]).to.deep.equal([0, 1, 255]);
    }
  });

  const malformed: Array<[string, Buffer]> = [
    ['an unknown kind', Buffer.from([0, 0, 0, 1, 9])],
    ['a frame over its limit (refused from its header alone)', Buffer.from([0, 0x10, 0, 0x20, 1])],
    ['invalid JSON', Buffer.concat([Buffer.from([0, 0, 0, 4, 1]), Buffer.from('{no')])],
    ['JSON that is not an object', Buffer.concat([Buffer.from([0, 0, 0, 3, 1]), Buffer.from('[1]')])],
    ['a data frame too short for its header', Buffer.from([0, 0, 0, 2, 2, 0])],
    ['a body frame whose JSON overruns it', Buffer.from([0, 0, 0, 6, 3, 0, 0, 0, 9, 0])],
  ];
  for (const [what, bytes] of malformed) {
    it(`refuses ${what} with a ProtocolError`, () => {
      expect(() => new FrameDecoder().push(bytes)).to.throw(ProtocolError);
    });
  }

  it('refuses to encode a message over the limit', () => {
    expect(() => encodeMessage({ text: 'x'.repeat(MAX_SMALL_FRAME) })).to.throw(ProtocolError);
  });
});

describe('agent connection', () => {
  it('matches responses to requests by id, out of order', async () => {
    const peer = pair();
    const first = peer.connection.request('ping');
    const second = peer.connection.request('readdir', { path: 'src' });
    const [a, b] = peer.messages();
    expect(a).to.deep.include({ op: 'ping' });
    expect(b).to.deep.include({ op: 'readdir', path: 'src' });
    expect(b!['id']).to.not.equal(a!['id']);
    peer.say({ id: b!['id'], ok: true, result: { entries: [] } });
    peer.say({ id: a!['id'], ok: true, result: {} });
    expect((await second).result).to.deep.equal({ entries: [] });
    expect((await first).result).to.deep.equal({});
  });

  it('turns error responses into the project\'s errors with the caller\'s path', async () => {
    const peer = pair();
    const missing = peer.connection.request('read-file', { path: 'a.txt' });
    peer.say({ id: peer.request('read-file')['id'], ok: false, error: { code: 'FILE_NOT_FOUND', message: 'no such file', path: 'a.txt' } });
    const error = sandboxError(await rejectionOf(() => missing), './a.txt');
    expect(error).to.be.instanceOf(FileNotFoundError);
    expect((error as FileNotFoundError).path).to.equal('./a.txt');
    const folder = peer.connection.request('read-file', { path: 'src' });
    peer.say({ id: peer.messages().at(-1)!['id'], ok: false, error: { code: 'INVALID_PATH', message: 'it is a folder' } });
    const invalid = sandboxError(await rejectionOf(() => folder), 'src');
    expect(invalid).to.be.instanceOf(InvalidPathError);
    expect(invalid.message).to.contain('it is a folder');
  });

  it('fails every pending request and process on garbage, without throwing to the caller of receive()', async () => {
    const peer = pair();
    const pending = peer.connection.request('ping');
    const process = await startProcess(peer);
    expect(() => peer.connection.receive(Buffer.from('garbage that is not a frame at all'))).to.not.throw();
    expect(await rejectionOf(() => pending)).to.be.instanceOf(ProtocolError);
    expect(await process.exit).to.equal(137);
    expect(peer.connection.failure).to.be.instanceOf(ProtocolError);
    expect(await rejectionOf(() => peer.connection.request('ping'))).to.be.instanceOf(ProtocolError);
  });

  it('refuses a response to a request nobody made', () => {
    const peer = pair();
    peer.say({ id: 99, ok: true, result: {} });
    expect(peer.connection.failure?.message).to.contain('request 99');
  });

  it('reports port events and refuses malformed ones', () => {
    const peer = pair();
    const seen: unknown[] = [];
    peer.connection.onPort((event) => seen.push(event));
    peer.say({ event: 'port', port: 3111, state: 'open', address: '127.0.0.1' });
    peer.say({ event: 'port', port: 3111, state: 'closed', address: '127.0.0.1' });
    expect(seen).to.deep.equal([{ port: 3111, state: 'open', address: '127.0.0.1' }, { port: 3111, state: 'closed', address: '127.0.0.1' }]);
    peer.say({ event: 'port', port: 70000, state: 'open' });
    expect(peer.connection.failure).to.be.instanceOf(ProtocolError);
  });
});

async function startProcess(peer: ReturnType<typeof pair>) {
  const starting = spawnAgentProcess(peer.connection, { cmd: ['cat'], cwd: '', env: {}, explainExit: async () => undefined });
  const spawn = peer.request('spawn');
  peer.say({ id: spawn['id'], ok: true, result: { pid: 42 } });
  const process = await starting;
  expect(process.pid).to.equal(42);
  return Object.assign(process, { channelId: spawn['channel'] as number });
}

describe('agent flow control', () => {
  it('relays output then the exit, and acknowledges what it emitted', async () => {
    const peer = pair();
    const process = await startProcess(peer);
    let text = '';
    process.stream.subscribe((chunk) => (text += chunk));
    peer.connection.receive(encodeData(process.channelId, 1, Buffer.from('out ')));
    peer.connection.receive(encodeData(process.channelId, 2, Buffer.from('err')));
    peer.say({ event: 'exit', channel: process.channelId, code: 3 });
    expect(await process.exit).to.equal(3);
    expect(text).to.equal('out err');
    const acked = peer.messages().filter((message) => message['op'] === 'ack').reduce((sum, message) => sum + (message['bytes'] as number), 0);
    expect(acked).to.equal(7);
  });

  it('holds credit while paused, returns it on resume, and refuses a sender past the window', async () => {
    const peer = pair();
    const process = await startProcess(peer);
    process.stream.subscribe(() => undefined);
    process.pause();
    peer.connection.receive(encodeData(process.channelId, 1, Buffer.alloc(WINDOW / 2)));
    expect(peer.messages().filter((message) => message['op'] === 'ack')).to.have.length(0);
    process.resume();
    expect(peer.messages().filter((message) => message['op'] === 'ack').map((message) => message['bytes'])).to.deep.equal([WINDOW / 2]);
    process.pause();
    for (let sent = 0; sent < WINDOW; sent += 256 * 1024) peer.connection.receive(encodeData(process.channelId, 1, Buffer.alloc(256 * 1024)));
    expect(peer.connection.failure).to.equal(undefined);
    peer.connection.receive(encodeData(process.channelId, 1, Buffer.alloc(1)));
    expect(peer.connection.failure?.message).to.contain('window');
  });

  it('sends input only within the window, per channel', async () => {
    const peer = pair();
    const slow = await startProcess(peer);
    const other = await startProcess(peer);
    let written = false;
    const writing = slow.write(new Uint8Array(WINDOW + 1000)).then(() => (written = true));
    await tick();
    const onSlow = () => peer.data().filter((frame) => frame.channel === slow.channelId).reduce((sum, frame) => sum + frame.bytes.length, 0);
    expect(onSlow()).to.equal(WINDOW);
    expect(written).to.equal(false);
    await other.write('still flows');
    expect(peer.data().filter((frame) => frame.channel === other.channelId).map((frame) => frame.bytes.toString())).to.deep.equal(['still flows']);
    peer.say({ event: 'ack', channel: slow.channelId, bytes: 1000 });
    await writing;
    expect(onSlow()).to.equal(WINDOW + 1000);
  });

  it('gives a forwarded connection as a Duplex that keeps backpressure', async () => {
    const peer = pair();
    const connecting = connectAgentSocket(peer.connection, 5173);
    const connect = peer.request('connect');
    expect(connect).to.deep.include({ port: 5173 });
    peer.say({ id: connect['id'], ok: true, result: {} });
    const socket: Duplex = await connecting;
    const channel = connect['channel'] as number;
    const acks = () => peer.messages().filter((message) => message['op'] === 'ack').reduce((sum, message) => sum + (message['bytes'] as number), 0);
    // Nobody reads yet: past the readable buffer, nothing more is acknowledged.
    for (let i = 0; i < 8; i++) peer.connection.receive(encodeData(channel, 1, Buffer.alloc(64 * 1024)));
    expect(acks()).to.be.lessThan(8 * 64 * 1024);
    let read = 0;
    socket.on('data', (chunk: Buffer) => (read += chunk.length));
    await tick();
    expect(read).to.equal(8 * 64 * 1024);
    expect(acks()).to.equal(8 * 64 * 1024);
    socket.write('GET / HTTP/1.1\r\n\r\n');
    await tick();
    expect(peer.data().map((frame) => frame.bytes.toString())).to.deep.equal(['GET / HTTP/1.1\r\n\r\n']);
    const ended = new Promise((resolve) => socket.once('end', resolve));
    peer.say({ event: 'end', channel });
    await ended;
  });

  it('rejects a refused connection with ECONNREFUSED', async () => {
    const peer = pair();
    const connecting = connectAgentSocket(peer.connection, 1);
    peer.say({ id: peer.request('connect')['id'], ok: false, error: { code: 'CONNECT_REFUSED', message: 'nothing listens on port 1' } });
    const error = await rejectionOf(() => connecting);
    expect((error as { code?: string }).code).to.equal('ECONNREFUSED');
  });
});
