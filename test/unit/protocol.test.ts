/** The wire protocol without a server: frames, and validation of every message on receipt. */
import { expect } from 'chai';
import { ProtocolError } from '../../src/engine/errors.js';
import { decodeFrame, encodeFrame } from '../../src/protocol/codec.js';
import { validateClientMessage, validateServerMessage } from '../../src/protocol/validate.js';
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

describe('client message validation', () => {
  it('accepts each request the client sends, keeping only the known fields', () => {
    expect(validateClientMessage({ t: 'hello', v: 1, resume: { 3: 10 } })).to.deep.equal({ t: 'hello', v: 1, resume: { 3: 10 } });
    expect(validateClientMessage({ t: 'req', id: 7, op: 'exec', cmd: 'node', args: ['-e', '1'], terminal: { cols: 80, rows: 24 }, extra: 'dropped' })).to.deep.equal({
      t: 'req',
      id: 7,
      op: 'exec',
      cmd: 'node',
      args: ['-e', '1'],
      terminal: { cols: 80, rows: 24 },
    });
    expect(validateClientMessage({ t: 'req', id: 8, op: 'kill', pid: 2, signal: 'SIGKILL' })).to.deep.equal({ t: 'req', id: 8, op: 'kill', pid: 2, signal: 'SIGKILL' });
    expect(validateClientMessage({ t: 'ack', pid: 2, seq: 40 })).to.deep.equal({ t: 'ack', pid: 2, seq: 40 });
  });

  const refused: Array<[string, unknown, string]> = [
    ['a message that is not an object', [1, 2], 'a message must be an object'],
    ['an unknown message type', { t: 'shout' }, 'unknown message type "shout"'],
    ['an unknown request op', { t: 'req', id: 1, op: 'format' }, 'unknown request op "format"'],
    ['a negative request id', { t: 'req', id: -1, op: 'token' }, 'id must be an integer'],
    ['a signal the engine does not send', { t: 'req', id: 1, op: 'kill', pid: 1, signal: 'SIGSEGV' }, 'signal must be one of'],
    ['args that are not strings', { t: 'req', id: 1, op: 'exec', cmd: 'ls', args: [1] }, 'args[0] must be a string'],
    ['a terminal of zero columns', { t: 'req', id: 1, op: 'exec', cmd: 'ls', args: [], terminal: { cols: 0, rows: 5 } }, 'terminal.cols must be an integer from 1'],
    ['a path longer than 4096 characters', { t: 'req', id: 1, op: 'readFile', path: 'a'.repeat(4097) }, 'path is longer than 4096'],
    ['a port out of range', { t: 'req', id: 1, op: 'devServer', port: 70_000 }, 'port must be an integer from 1 to 65535'],
    ['a file entry with neither text nor bytes', { t: 'req', id: 1, op: 'mount', entries: [{ kind: 'file', path: 'a' }] }, 'entries[0] must have text or bytes'],
  ];
  for (const [what, message, says] of refused) {
    it(`refuses ${what}, naming the problem`, () => {
      expect(protocolErrorOf(() => validateClientMessage(message)).message).to.contain(says);
    });
  }
});

describe('server message validation', () => {
  it('accepts output, exits and answers, and bounds what it reads', () => {
    expect(validateServerMessage({ t: 'out', pid: 1, seq: 2, fd: 2, d: 'err' })).to.deep.equal({ t: 'out', pid: 1, seq: 2, fd: 2, d: 'err' });
    expect(validateServerMessage({ t: 'exit', pid: 1, seq: 3, code: 137 })).to.deep.equal({ t: 'exit', pid: 1, seq: 3, code: 137 });
    expect(validateServerMessage({ t: 'res', id: 4, ok: true, result: { pid: 9 } })).to.deep.equal({ t: 'res', id: 4, ok: true, result: { pid: 9 } });
    expect(protocolErrorOf(() => validateServerMessage({ t: 'exit', pid: 1, seq: 3, code: 300 })).message).to.contain('code must be an integer from -1 to 255');
    expect(protocolErrorOf(() => validateServerMessage({ t: 'res', id: 4, ok: false, error: 'boom' })).message).to.contain('error must be an object');
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
    const message = validateClientMessage(JSON.parse(JSON.stringify({ t: 'req', id: 1, op: 'mount', entries: wire })));
    if (message.t !== 'req' || message.op !== 'mount') throw new Error('not a mount request');
    const rebuilt = entriesFromWire(message.entries, payload);
    expect(rebuilt.map((entry) => entry.path)).to.deep.equal(['src', 'src/a.txt', 'src/b.bin', 'link']);
    expect(rebuilt[1]).to.deep.include({ kind: 'file', contents: 'héllo' });
    expect([...(rebuilt[2] as { contents: Uint8Array }).contents]).to.deep.equal([1, 2, 3]);
    expect(rebuilt[3]).to.deep.include({ kind: 'symlink', target: 'src/a.txt' });
  });
});
