/**
 * Validation of every message on receipt, on both sides. A message that does not
 * fit its schema becomes a ProtocolError that names the field, never a crash.
 */
import { ProtocolError, type SandboxErrorFields } from '../engine/errors.js';
import type { ProcessSignal } from '../engine/container-engine.js';
import type { ClientMessage, Request, ServerMessage, WireEntry, WireError } from './messages.js';

type Json = Record<string, unknown>;

const SIGNALS: ReadonlySet<string> = new Set<ProcessSignal>(['SIGTERM', 'SIGKILL', 'SIGINT', 'SIGHUP', 'SIGQUIT']);
const MAX_STRING = 1 << 20;
const MAX_LIST = 100_000;

function fail(what: string): never {
  throw new ProtocolError(`Malformed message: ${what}.`);
}

function object(value: unknown, what: string): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(`${what} must be an object`);
  return value as Json;
}

function string(value: unknown, what: string, max = MAX_STRING): string {
  if (typeof value !== 'string') fail(`${what} must be a string`);
  if (value.length > max) fail(`${what} is longer than ${max} characters`);
  return value;
}

function integer(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) fail(`${what} must be an integer from ${min} to ${max}`);
  return value;
}

function optional<T>(value: unknown, check: (value: unknown) => T): T | undefined {
  return value === undefined ? undefined : check(value);
}

function stringList(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || value.length > MAX_LIST) fail(`${what} must be a list of at most ${MAX_LIST} strings`);
  return value.map((item, index) => string(item, `${what}[${index}]`));
}

function stringMap(value: unknown, what: string): Record<string, string> {
  const map = object(value, what);
  const entries = Object.entries(map);
  if (entries.length > 1000) fail(`${what} has more than 1000 entries`);
  for (const [key, item] of entries) string(item, `${what}.${key}`);
  return map as Record<string, string>;
}

const pid = (value: unknown) => integer(value, 'pid', 0, Number.MAX_SAFE_INTEGER);
const dimension = (value: unknown, what: string) => integer(value, what, 1, 1000);

function entry(value: unknown, index: number): WireEntry {
  const item = object(value, `entries[${index}]`);
  const path = string(item['path'], `entries[${index}].path`, 4096);
  switch (item['kind']) {
    case 'directory':
      return { kind: 'directory', path };
    case 'symlink':
      return { kind: 'symlink', path, target: string(item['target'], `entries[${index}].target`, 4096) };
    case 'file': {
      if (typeof item['text'] === 'string') return { kind: 'file', path, text: item['text'] };
      const bytes = item['bytes'];
      if (!Array.isArray(bytes) || bytes.length !== 2) fail(`entries[${index}] must have text or bytes [offset, length]`);
      return { kind: 'file', path, bytes: [integer(bytes[0], 'offset', 0, 2 ** 32), integer(bytes[1], 'length', 0, 2 ** 32)] };
    }
    default:
      fail(`entries[${index}].kind must be file, directory or symlink`);
  }
}

function request(message: Json): Request {
  const op = message['op'];
  switch (op) {
    case 'mount': {
      const entries = message['entries'];
      if (!Array.isArray(entries) || entries.length > MAX_LIST) fail(`entries must be a list of at most ${MAX_LIST}`);
      return { op, entries: entries.map(entry) };
    }
    case 'writeFile':
    case 'readFile':
    case 'deleteFile':
    case 'readdir':
      return { op, path: string(message['path'], 'path', 4096) };
    case 'exec': {
      const terminal = optional(message['terminal'], (value) => {
        const size = object(value, 'terminal');
        return { cols: dimension(size['cols'], 'terminal.cols'), rows: dimension(size['rows'], 'terminal.rows') };
      });
      const cwd = optional(message['cwd'], (value) => string(value, 'cwd', 4096));
      const env = optional(message['env'], (value) => stringMap(value, 'env'));
      return {
        op,
        cmd: string(message['cmd'], 'cmd', 4096),
        args: stringList(message['args'], 'args'),
        ...(cwd !== undefined && { cwd }),
        ...(env && { env }),
        ...(terminal && { terminal }),
      };
    }
    case 'install': {
      const command = optional(message['command'], (value) => string(value, 'command', 65536));
      return { op, ...(command !== undefined && { command }) };
    }
    case 'devServer': {
      const command = optional(message['command'], (value) => string(value, 'command', 65536));
      const port = optional(message['port'], (value) => integer(value, 'port', 1, 65535));
      const env = optional(message['env'], (value) => stringMap(value, 'env'));
      return { op, ...(command !== undefined && { command }), ...(port !== undefined && { port }), ...(env && { env }) };
    }
    case 'stdin':
    case 'closeInput':
      return { op, pid: pid(message['pid']) };
    case 'resize':
      return { op, pid: pid(message['pid']), cols: dimension(message['cols'], 'cols'), rows: dimension(message['rows'], 'rows') };
    case 'kill': {
      const signal = optional(message['signal'], (value) => {
        if (typeof value !== 'string' || !SIGNALS.has(value)) fail(`signal must be one of ${[...SIGNALS].join(', ')}`);
        return value as ProcessSignal;
      });
      return { op, pid: pid(message['pid']), ...(signal && { signal }) };
    }
    case 'token':
      return { op };
    default:
      fail(`unknown request op ${JSON.stringify(op)}`);
  }
}

/** Validates a message from a client; throws ProtocolError. */
export function validateClientMessage(value: unknown): ClientMessage {
  const message = object(value, 'a message');
  switch (message['t']) {
    case 'hello': {
      const resume = optional(message['resume'], (value) => {
        const map = object(value, 'resume');
        for (const [key, seq] of Object.entries(map)) integer(seq, `resume.${key}`, -1, Number.MAX_SAFE_INTEGER);
        return map as Record<string, number>;
      });
      return { t: 'hello', v: integer(message['v'], 'v', 0, 1_000_000), ...(resume && { resume }) };
    }
    case 'req':
      return { t: 'req', id: integer(message['id'], 'id', 0, Number.MAX_SAFE_INTEGER), ...request(message) };
    case 'ack':
      return { t: 'ack', pid: pid(message['pid']), seq: integer(message['seq'], 'seq', 0, Number.MAX_SAFE_INTEGER) };
    case 'ping':
      return { t: 'ping', n: integer(message['n'], 'n', 0, Number.MAX_SAFE_INTEGER) };
    default:
      fail(`unknown message type ${JSON.stringify(message['t'])}`);
  }
}

/** An error's fields: only the known ones, each of its type (unknown ones are dropped, for newer servers). */
function errorFields(value: unknown): SandboxErrorFields {
  const item = object(value, 'error.fields');
  const path = optional(item['path'], (path) => string(path, 'error.fields.path', 4096));
  const logs = optional(item['logs'], (logs) => string(logs, 'error.fields.logs'));
  const retryAfter = optional(item['retryAfter'], (seconds) => integer(seconds, 'error.fields.retryAfter', 0, 86_400));
  return { ...(path !== undefined && { path }), ...(logs !== undefined && { logs }), ...(retryAfter !== undefined && { retryAfter }) };
}

/** Validates a message from the server; throws ProtocolError. */
export function validateServerMessage(value: unknown): ServerMessage {
  const message = object(value, 'a message');
  const error = (value: unknown): WireError => {
    const item = object(value, 'error');
    const fields = optional(item['fields'], errorFields);
    return { code: string(item['code'], 'error.code', 64) as never, message: string(item['message'], 'error.message'), ...(fields && { fields }) };
  };
  switch (message['t']) {
    case 'hello':
      return { t: 'hello', v: integer(message['v'], 'v', 0, 1_000_000), session: string(message['session'], 'session', 64) };
    case 'res': {
      const id = integer(message['id'], 'id', 0, Number.MAX_SAFE_INTEGER);
      if (message['ok'] === true) return { t: 'res', id, ok: true, result: message['result'] };
      return { t: 'res', id, ok: false, error: error(message['error']) };
    }
    case 'out': {
      const fd = message['fd'] === 2 ? 2 : 1;
      return { t: 'out', pid: pid(message['pid']), seq: integer(message['seq'], 'seq', 0, Number.MAX_SAFE_INTEGER), fd, d: string(message['d'], 'd', 1 << 24) };
    }
    case 'exit':
      return { t: 'exit', pid: pid(message['pid']), seq: integer(message['seq'], 'seq', 0, Number.MAX_SAFE_INTEGER), code: integer(message['code'], 'code', -1, 255) };
    case 'pong':
      return { t: 'pong', n: integer(message['n'], 'n', 0, Number.MAX_SAFE_INTEGER) };
    case 'port': {
      const state = message['state'];
      if (state !== 'open' && state !== 'closed') fail('port.state must be "open" or "closed"');
      return { t: 'port', port: integer(message['port'], 'port', 1, 65535), state, url: string(message['url'], 'url', 2048) };
    }
    case 'error': {
      const id = optional(message['id'], (value) => integer(value, 'id', 0, Number.MAX_SAFE_INTEGER));
      return { t: 'error', error: error(message['error']), ...(id !== undefined && { id }) };
    }
    default:
      fail(`unknown message type ${JSON.stringify(message['t'])}`);
  }
}
