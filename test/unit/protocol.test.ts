/** The wire protocol without a server: frames, the op table, and the checks of every message on receipt. */
import { expect } from 'chai';
import { ProtocolError } from '../../src/engine/errors.js';
import { decodeFrame, encodeFrame } from '../../src/protocol/codec.js';
import { parseClientMessage, parseServerMessage } from '../../src/protocol/envelope.js';
import { createClient, decodeResult, encodeResult, OP_NAMES, parseRequest, serve, type Handlers, type Op } from '../../src/protocol/ops.js';
import { entriesFromWire, entriesToWire } from '../../src/protocol/wire-tree.js';

/** The ProtocolError `fn` throws; fails the test when it throws nothing or something else. */
function protocolErrorOf(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(ProtocolError);
    return error as ProtocolError;
  }
  throw new Error('Expected a ProtocolError, but nothing was thrown.');
}

/** Checks a raw client message as the server does: its envelope, then its op's params. */
function receiveRequest(raw: unknown, payload?: Uint8Array) {
  const message = parseClientMessage(raw);
  if (message.t !== 'req') throw new Error(`not a request: ${message.t}`);
  return { id: message.id, ...parseRequest(message.op, message, payload) };
}

describe('protocol frames', () => {
  it('encodes a message without a payload as a text frame, and decodes it back', () => {
    const frame = encodeFrame({ t: 'ping', n: 3 });
    expect(frame).to.be.a('string');
    expect(decodeFrame(frame)).to.deep.equal({ message: { t: 'ping', n: 3 } });
  });

  it('carries a payload as raw bytes after the JSON header, and decodes both', () => {
    const payload = new Uint8Array([0, 255, 1, 254]);
    const frame = encodeFrame({ t: 'req', id: 1, op: 'writeFile', path: 'a.bin' }, payload);
    expect(frame).to.be.instanceOf(Uint8Array);
    const decoded = decodeFrame(frame as Uint8Array);
    expect(decoded.message).to.deep.equal({ t: 'req', id: 1, op: 'writeFile', path: 'a.bin' });
    expect([...decoded.payload!]).to.deep.equal([0, 255, 1, 254]);
    expect([...decodeFrame((frame as Uint8Array).buffer as ArrayBuffer).payload!]).to.deep.equal([0, 255, 1, 254]);
  });

  it('refuses malformed frames with a ProtocolError that says what is wrong', () => {
    expect(protocolErrorOf(() => decodeFrame(new Uint8Array([0, 0]))).message).to.contain('shorter than its 4-byte header');
    expect(protocolErrorOf(() => decodeFrame(new Uint8Array([0, 0, 0, 9, 123]))).message).to.contain('header longer than the frame');
    expect(protocolErrorOf(() => decodeFrame(new Uint8Array([0, 0, 0, 2, 0xff, 0xfe]))).message).to.contain('not valid UTF-8');
    expect(protocolErrorOf(() => decodeFrame('{not json')).message).to.contain('not valid JSON');
  });
});

describe('requests, as the server checks them', () => {
  it('accepts each request the client sends, keeping only its op\'s params', () => {
    expect(parseClientMessage({ t: 'hello', v: 1, resume: { 3: 10 } })).to.deep.equal({ t: 'hello', v: 1, resume: { 3: 10 } });
    expect(receiveRequest({ t: 'req', id: 7, op: 'exec', cmd: 'node', args: ['-e', '1'], terminal: { cols: 80, rows: 24 }, extra: 'dropped' })).to.deep.equal({
      id: 7,
      op: 'exec',
      params: { cmd: 'node', args: ['-e', '1'], terminal: { cols: 80, rows: 24 } },
    });
    expect(receiveRequest({ t: 'req', id: 8, op: 'kill', pid: 2, signal: 'SIGKILL' })).to.deep.equal({ id: 8, op: 'kill', params: { pid: 2, signal: 'SIGKILL' } });
    expect(receiveRequest({ t: 'req', id: 9, op: 'token' })).to.deep.equal({ id: 9, op: 'token', params: {} });
    expect(receiveRequest({ t: 'req', id: 10, op: 'writeFile', path: 'a' }, new Uint8Array([1])).params).to.deep.equal({ path: 'a' });
    expect(parseClientMessage({ t: 'ack', pid: 2, seq: 40 })).to.deep.equal({ t: 'ack', pid: 2, seq: 40 });
  });

  const refused: Array<[string, unknown, string]> = [
    ['a message that is not an object', 'hello', 'Malformed message: it must be an object'],
    ['an unknown message type', { t: 'shout' }, 'Malformed "shout" message: t must be one of hello, req, ack, ping'],
    ['an unknown request op', { t: 'req', id: 1, op: 'format' }, 'op must be one of mount, writeFile'],
    ['an op named after an Object property', { t: 'req', id: 1, op: '__proto__' }, 'op must be one of'],
    ['a negative request id', { t: 'req', id: -1, op: 'token' }, 'id must be an integer from 0'],
    ['an id JSON cannot carry exactly', { t: 'req', id: 2 ** 64, op: 'token' }, 'id must be an integer from 0 to 9007199254740991'],
    ['a signal the engine does not send', { t: 'req', id: 1, op: 'kill', pid: 1, signal: 'SIGSEGV' }, 'Malformed "kill" request: signal must be one of SIGTERM'],
    ['args that are not strings', { t: 'req', id: 1, op: 'exec', cmd: 'ls', args: [1] }, 'Malformed "exec" request: args[0] must be a string'],
    ['a request without a field it needs', { t: 'req', id: 1, op: 'exec', cmd: 'ls' }, 'Malformed "exec" request: args is missing'],
    ['an environment value that is not a string', { t: 'req', id: 1, op: 'exec', cmd: 'ls', args: [], env: { A: 1 } }, 'env.A must be a string'],
    ['a terminal of zero columns', { t: 'req', id: 1, op: 'exec', cmd: 'ls', args: [], terminal: { cols: 0, rows: 5 } }, 'terminal.cols must be an integer from 1 to 1000'],
    ['a path longer than 4096 characters', { t: 'req', id: 1, op: 'readFile', path: 'a'.repeat(4097) }, 'Malformed "readFile" request: path is longer than 4096 characters'],
    ['a port out of range', { t: 'req', id: 1, op: 'devServer', port: 70_000 }, 'Malformed "devServer" request: port must be an integer from 1 to 65535'],
    ['a file entry with neither text nor bytes', { t: 'req', id: 1, op: 'mount', entries: [{ kind: 'file', path: 'a' }] }, 'entries[0] must have either text or bytes'],
    ['an entry of an unknown kind', { t: 'req', id: 1, op: 'mount', entries: [{ kind: 'fifo', path: 'a' }] }, 'entries[0].kind must be one of directory, symlink, file'],
    ['a slice past 4 GiB', { t: 'req', id: 1, op: 'mount', entries: [{ kind: 'file', path: 'a', bytes: [0, 2 ** 40] }] }, 'entries[0].bytes[1] must be an integer'],
    ['a resume position that is not a number', { t: 'hello', v: 1, resume: { 3: 'x' } }, 'Malformed "hello" message: resume.3 must be an integer'],
  ];
  for (const [what, message, says] of refused) {
    it(`refuses ${what}, naming the field`, () => {
      expect(protocolErrorOf(() => receiveRequest(message)).message).to.contain(says);
    });
  }

  it('refuses bytes on a request that takes none, and takes them on one that does', () => {
    const error = protocolErrorOf(() => receiveRequest({ t: 'req', id: 1, op: 'readFile', path: 'a' }, new Uint8Array(3)));
    expect(error.message).to.equal('Malformed "readFile" request: it carries no bytes, but its frame has 3.');
    for (const op of ['mount', 'writeFile', 'stdin'] as const) {
      const params = { mount: { entries: [] }, writeFile: { path: 'a' }, stdin: { pid: 1 } }[op];
      expect(() => parseRequest(op, params, new Uint8Array(3)), op).not.to.throw();
    }
  });

  it('stops at the first problem in a huge list instead of checking every item', () => {
    const entries = Array.from({ length: 100_001 }, () => 0);
    expect(protocolErrorOf(() => parseRequest('mount', { entries }, undefined)).message).to.contain('entries[0] must be an object');
  });
});

describe('answers and pushed messages, as the client checks them', () => {
  it('accepts output, exits, ports and answers', () => {
    expect(parseServerMessage({ t: 'out', pid: 1, seq: 2, fd: 2, d: 'err' })).to.deep.equal({ t: 'out', pid: 1, seq: 2, fd: 2, d: 'err' });
    expect(parseServerMessage({ t: 'exit', pid: 1, seq: 3, code: 137 })).to.deep.equal({ t: 'exit', pid: 1, seq: 3, code: 137 });
    expect(parseServerMessage({ t: 'port', port: 5173, state: 'open', url: 'http://s-5173.localhost' })).to.include({ port: 5173, state: 'open' });
    expect(parseServerMessage({ t: 'res', id: 4, ok: true, result: { pid: 9 } })).to.deep.equal({ t: 'res', id: 4, ok: true, result: { pid: 9 } });
    expect(parseServerMessage({ t: 'res', id: 5, ok: true })).to.deep.equal({ t: 'res', id: 5, ok: true });
  });

  const refused: Array<[string, unknown, string]> = [
    ['an exit code out of range', { t: 'exit', pid: 1, seq: 3, code: 300 }, 'Malformed "exit" message: code must be an integer from -1 to 255'],
    ['output on a third stream', { t: 'out', pid: 1, seq: 1, fd: 3, d: 'x' }, 'Malformed "out" message: fd must be one of 1, 2'],
    ['a port event of an unknown state', { t: 'port', port: 80, state: 'half', url: 'x' }, 'Malformed "port" message: state must be one of open, closed'],
    ['an error answer whose error is a string', { t: 'res', id: 4, ok: false, error: 'boom' }, 'Malformed "res" message: error must be an object'],
    ['an answer that is neither ok nor not', { t: 'res', id: 4, ok: 'maybe' }, 'ok must be one of true, false'],
  ];
  for (const [what, message, says] of refused) {
    it(`refuses ${what}, naming the field`, () => {
      expect(protocolErrorOf(() => parseServerMessage(message)).message).to.contain(says);
    });
  }

  it('checks a result against the schema of its request\'s op, naming the op and the field', () => {
    expect(decodeResult('exec', { pid: 3 }, undefined)).to.deep.equal({ pid: 3 });
    expect(decodeResult('install', { pid: null, command: null }, undefined)).to.deep.equal({ pid: null, command: null });
    expect(protocolErrorOf(() => decodeResult('exec', { pid: 'three' }, undefined)).message).to.equal('Malformed answer to the "exec" request: pid must be an integer from 0 to 9007199254740991.');
    expect(protocolErrorOf(() => decodeResult('readdir', [{ name: 'a', kind: 'socket' }], undefined)).message).to.contain('[0].kind must be one of file, directory, symlink, other');
    expect(protocolErrorOf(() => decodeResult('devServer', { pid: 1, port: 3000 }, undefined)).message).to.contain('"devServer" request: url is missing');
    expect(protocolErrorOf(() => decodeResult('deleteFile', { surprise: true }, undefined)).message).to.contain('must be empty');
  });

  it('carries a readFile result as the answer\'s bytes, both ways', () => {
    const bytes = new Uint8Array([7, 8]);
    const sent = encodeResult('readFile', bytes);
    expect(sent).to.deep.equal({ payload: bytes });
    expect(decodeResult('readFile', undefined, sent.payload)).to.equal(bytes);
    expect([...decodeResult('readFile', undefined, undefined)]).to.deep.equal([]);
    expect(encodeResult('deleteFile', undefined)).to.deep.equal({});
    expect(encodeResult('exec', { pid: 1 })).to.deep.equal({ result: { pid: 1 } });
  });
});

describe('the op table', () => {
  it('gives the client a method per op that sends that op', async () => {
    const sent: Array<[Op, unknown]> = [];
    const client = createClient(async (op, params) => {
      sent.push([op, params]);
      return undefined as never;
    });
    expect(Object.keys(client).sort()).to.deep.equal([...OP_NAMES].sort());
    await client.resize({ pid: 1, cols: 80, rows: 24 });
    await client.token({});
    expect(sent).to.deep.equal([['resize', { pid: 1, cols: 80, rows: 24 }], ['token', {}]]);
  });

  it('serves a checked request with the handler of its op', async () => {
    const calls: string[] = [];
    const handlers = Object.fromEntries(
      OP_NAMES.map((op) => [op, async (params: object, payload: Uint8Array | undefined) => {
        calls.push(`${op} ${JSON.stringify(params)} ${payload?.byteLength ?? '-'}`);
        return op === 'exec' ? { pid: 5 } : undefined;
      }]),
    ) as unknown as Handlers;
    const request = receiveRequest({ t: 'req', id: 1, op: 'exec', cmd: 'ls', args: [] });
    expect(await serve(handlers, request, undefined)).to.deep.equal({ pid: 5 });
    await serve(handlers, receiveRequest({ t: 'req', id: 2, op: 'stdin', pid: 5 }, new Uint8Array(2)), new Uint8Array(2));
    expect(calls).to.deep.equal(['exec {"cmd":"ls","args":[]} -', 'stdin {"pid":5} 2']);
  });
});

describe('file trees on the wire', () => {
  it('sends text inline and bytes in the payload, and rebuilds the same entries', () => {
    const entries = [
      { path: 'src', kind: 'directory' as const },
      { path: 'src/a.txt', kind: 'file' as const, contents: 'héllo' },
      { path: 'src/b.bin', kind: 'file' as const, contents: new Uint8Array([1, 2, 3]) },
      { path: 'link', kind: 'symlink' as const, target: 'src/a.txt' },
    ];
    const { entries: wire, payload } = entriesToWire(entries);
    const request = receiveRequest(JSON.parse(JSON.stringify({ t: 'req', id: 1, op: 'mount', entries: wire })), payload);
    if (request.op !== 'mount') throw new Error('not a mount request');
    const rebuilt = entriesFromWire(request.params.entries, payload);
    expect(rebuilt.map((entry) => entry.path)).to.deep.equal(['src', 'src/a.txt', 'src/b.bin', 'link']);
    expect(rebuilt[1]).to.deep.include({ kind: 'file', contents: 'héllo' });
    expect([...(rebuilt[2] as { contents: Uint8Array }).contents]).to.deep.equal([1, 2, 3]);
    expect(rebuilt[3]).to.deep.include({ kind: 'symlink', target: 'src/a.txt' });
  });

  it('refuses a slice that lies outside the payload', () => {
    const error = protocolErrorOf(() => entriesFromWire([{ kind: 'file', path: 'a.bin', bytes: [2, 4] }], new Uint8Array(3)));
    expect(error.message).to.contain('"a.bin" lie outside the frame\'s payload');
  });
});
