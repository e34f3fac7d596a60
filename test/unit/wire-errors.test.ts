/** Errors across the wire, without a server: what the client rebuilds is the error the server threw, fields and all. */
import { expect } from 'chai';
import {
  AbortError,
  BootTimeoutError,
  DevServerError,
  EngineStateError,
  EngineUnavailableError,
  FileNotFoundError,
  InvalidPathError,
  LimitExceededError,
  ProcessError,
  ProtocolError,
  SandboxError,
  TimeoutError,
} from '../../src/engine/errors.js';
import { decodeFrame, encodeFrame } from '../../src/protocol/codec.js';
import { parseServerMessage } from '../../src/protocol/envelope.js';
import { fromWireError, toWireError } from '../../src/protocol/wire-errors.js';
import { rejectionOf } from '../contract/helpers.js';

/** Sends `error` as the server does (an error answer, framed) and rebuilds it as the client does. */
function overTheWire(error: unknown): SandboxError {
  const frame = encodeFrame({ t: 'res', id: 1, ok: false, error: toWireError(error, 'ref1') });
  const message = parseServerMessage(decodeFrame(frame).message);
  if (message.t !== 'res' || message.ok) throw new Error('not an error answer');
  return fromWireError(message.error);
}

describe('errors over the wire', () => {
  const errors: SandboxError[] = [
    new EngineUnavailableError('No Docker daemon.'),
    new EngineStateError('Call boot() first.'),
    new BootTimeoutError('Boot took too long.'),
    new TimeoutError('Waiting took too long.'),
    new AbortError(),
    FileNotFoundError.at('src/missing.js'),
    InvalidPathError.because('../out.txt', 'it leaves the workspace through ".."'),
    new LimitExceededError('Too many sandboxes.', { retryAfter: 10 }),
    new LimitExceededError('The file is too big.'),
    new ProcessError('The helper failed.'),
    DevServerError.withLogs('The dev server exited with code 2.', 'Error: boom\n    at main.js:1\n'),
    new ProtocolError('Malformed message.'),
  ];

  for (const original of errors) {
    it(`keeps a ${original.name}'s class, code, message and fields`, () => {
      const rebuilt = overTheWire(original);
      expect(rebuilt).to.be.instanceOf(original.constructor);
      expect(rebuilt.name).to.equal(original.name);
      expect(rebuilt.code).to.equal(original.code);
      expect(rebuilt.message).to.equal(original.message);
      expect(rebuilt.fields).to.deep.equal(original.fields);
    });
  }

  it('carries the path, the logs and the delay as properties a caller can read', () => {
    expect(overTheWire(FileNotFoundError.at('a/b.txt'))).to.have.property('path', 'a/b.txt');
    expect(overTheWire(InvalidPathError.because('/etc/x', 'absolute paths must be inside /workspace'))).to.have.property('path', '/etc/x');
    const server = overTheWire(DevServerError.withLogs('It exited.', 'boom\n'));
    expect(server).to.have.property('logs', 'boom\n');
    expect(server.message).to.equal('It exited.\nLast output:\nboom\n');
    expect(overTheWire(new LimitExceededError('Busy.', { retryAfter: 30 }))).to.have.property('retryAfter', 30);
  });

  it('hides anything that is not a SandboxError behind a reference', () => {
    const rebuilt = overTheWire(new Error('secret stack detail'));
    expect(rebuilt.code).to.equal('INTERNAL');
    expect(rebuilt.message).to.contain('reference ref1').and.not.to.contain('secret');
    expect(rebuilt.fields).to.deep.equal({});
  });

  it('rebuilds an unknown code from a newer server as INTERNAL, keeping the message', () => {
    const rebuilt = fromWireError({ code: 'SOMETHING_NEW' as never, message: 'New kind of failure.' });
    expect(rebuilt.code).to.equal('INTERNAL');
    expect(rebuilt.message).to.equal('New kind of failure.');
  });

  it('refuses fields of the wrong type, naming the field', async () => {
    const bad = { t: 'res', id: 1, ok: false, error: { code: 'FILE_NOT_FOUND', message: 'x', fields: { path: 42 } } };
    const error = await rejectionOf(async () => parseServerMessage(bad));
    expect(error).to.be.instanceOf(ProtocolError);
    expect(error.message).to.contain('error.fields.path');
  });

  it('drops fields it does not know (a newer server may send more)', () => {
    const message = parseServerMessage({ t: 'error', error: { code: 'TIMEOUT', message: 'x', fields: { elapsed: 5 } } });
    expect(message).to.deep.equal({ t: 'error', error: { code: 'TIMEOUT', message: 'x', fields: {} } });
  });
});
