/**
 * Every request of the wire protocol, defined once: what it takes, what it
 * answers, and whether raw bytes travel with it. The types of both sides come
 * from these schemas; the server checks each request against `params`, the
 * client each answer against `result`. The client's methods (`Client`) and the
 * server's handlers (`Handlers`) are keyed by op, so an op added here is a type
 * error on both sides until both serve it. See docs/architecture.md, "Recipe:
 * add a protocol operation".
 */
import * as v from 'valibot';
import { ProtocolError } from '../engine/errors.js';
import type { ProcessSignal } from '../engine/container-engine.js';
import type { DirEntry } from '../engine/file-system-tree.js';
import type { WaitOptions } from '../engine/wait.js';
import { check, count, fields, int, list, map, MAX_PATH, oneOf, text, variantMessage } from './schema.js';

const path = text(MAX_PATH);
const pid = count;
const dimension = int(1, 1000);
const env = map(text());
const port = int(1, 65535);
const command = text(65536);
/** The answer of an op that answers nothing but success. */
const done = v.void('must be empty (this op answers nothing)');

const SIGNALS = ['SIGTERM', 'SIGKILL', 'SIGINT', 'SIGHUP', 'SIGQUIT'] as const satisfies readonly ProcessSignal[];
const DIR_ENTRY_KINDS = ['file', 'directory', 'symlink', 'other'] as const satisfies ReadonlyArray<DirEntry['kind']>;

/** A file's bytes are the slice [offset, offset + length) of the frame's payload. */
const slice = v.tuple([int(0, 2 ** 32), int(0, 2 ** 32)], 'must be [offset, length]');

/** A file tree entry on the wire: text inline, bytes as a slice of the frame's payload. */
const wireEntry = v.variant(
  'kind',
  [
    fields({ kind: v.literal('directory'), path }),
    fields({ kind: v.literal('symlink'), path, target: path }),
    v.pipe(
      fields({ kind: v.literal('file'), path, text: v.exactOptional(text()), bytes: v.exactOptional(slice) }),
      v.check((entry) => (entry.text === undefined) !== (entry.bytes === undefined), 'must have either text or bytes [offset, length]'),
    ),
  ],
  variantMessage,
);

/** What an op definition holds. `payload` says which way raw bytes travel, if any. */
interface OpDefinition {
  params: v.GenericSchema<unknown, object>;
  result: v.GenericSchema;
  /** `request`: the request's frame carries bytes; `result`: the answer's bytes are its result. */
  payload?: 'request' | 'result';
}

/** The protocol's requests, each answered by one `res` with the request's id. */
export const OPS = {
  /** Writes a tree into the workspace; binary files are slices of the payload. */
  mount: { params: fields({ entries: list(wireEntry) }), result: done, payload: 'request' },
  /** Writes the payload to `path`. */
  writeFile: { params: fields({ path }), result: done, payload: 'request' },
  /** Answers with the file's bytes as the payload. */
  readFile: { params: fields({ path }), result: v.custom<Uint8Array>((value) => value instanceof Uint8Array, 'must be bytes'), payload: 'result' },
  deleteFile: { params: fields({ path }), result: done },
  readdir: { params: fields({ path }), result: list(fields({ name: path, kind: oneOf(DIR_ENTRY_KINDS) })) },
  /** Starts a process; its output follows as `out` and `exit` messages under the pid. */
  exec: {
    params: fields({
      cmd: path,
      args: list(text()),
      cwd: v.exactOptional(path),
      env: v.exactOptional(env),
      terminal: v.exactOptional(fields({ cols: dimension, rows: dimension })),
    }),
    result: fields({ pid }),
  },
  /** Installs dependencies (the detected command unless one is given); `pid` is null when there is nothing to install. */
  install: { params: fields({ command: v.exactOptional(command) }), result: fields({ pid: v.nullable(pid), command: v.nullable(command) }) },
  devServer: {
    params: fields({ command: v.exactOptional(command), port: v.exactOptional(port), env: v.exactOptional(env) }),
    result: fields({ pid, port, url: text(2048) }),
  },
  /** Writes the payload to the process's input. */
  stdin: { params: fields({ pid }), result: done, payload: 'request' },
  closeInput: { params: fields({ pid }), result: done },
  resize: { params: fields({ pid, cols: dimension, rows: dimension }), result: done },
  kill: { params: fields({ pid, signal: v.exactOptional(oneOf(SIGNALS)) }), result: done },
  /** A fresh token for this session (the client refreshes before its token expires). */
  token: { params: fields({}), result: fields({ token: text(4096), expiresAt: count }) },
} as const satisfies Record<string, OpDefinition>;

/** The name of a request. */
export type Op = keyof typeof OPS;
/** What a request of `O` takes. */
export type Params<O extends Op> = v.InferOutput<(typeof OPS)[O]['params']>;
/** What a request of `O` answers. */
export type Result<O extends Op> = v.InferOutput<(typeof OPS)[O]['result']>;
/** A request as the server receives it, checked: its op and its params. */
export type Request<O extends Op = Op> = { [K in O]: { op: K; params: Params<K> } }[O];

/** Every op's name. */
export const OP_NAMES = Object.keys(OPS) as Op[];

/** Serves one op: its params, and the bytes its frame carried. */
export type Handler<O extends Op> = (params: Params<O>, payload: Uint8Array | undefined) => Promise<Result<O>>;
/** The server's handler of every op (TypeScript checks that none is missing). */
export type Handlers = { [O in Op]: Handler<O> };

/** How a client call waits, and the bytes it sends (for ops whose `payload` is `request`). */
export interface CallOptions extends WaitOptions {
  payload?: Uint8Array;
}
/** Sends one request and resolves with its checked result. */
export type Call = <O extends Op>(op: O, params: Params<O>, options?: CallOptions) => Promise<Result<O>>;
/** A method per op, each a typed call of it. */
export type Client = { [O in Op]: (params: Params<O>, options?: CallOptions) => Promise<Result<O>> };

/** A client with a method per op, each sending through `call`. */
export function createClient(call: Call): Client {
  return Object.fromEntries(OP_NAMES.map((op) => [op, (params: never, options?: CallOptions) => call(op, params, options)])) as Client;
}

/** Which way an op's bytes travel, if any. */
function payloadOf(op: Op): OpDefinition['payload'] {
  return (OPS[op] as OpDefinition).payload;
}

/** Checks a request's params (the request message's other fields) and whether it may carry bytes; throws ProtocolError. */
export function parseRequest<O extends Op>(op: O, message: object, payload: Uint8Array | undefined): Request<O> {
  const what = `"${op}" request`;
  if (payload && payloadOf(op) !== 'request') throw new ProtocolError(`Malformed ${what}: it carries no bytes, but its frame has ${payload.byteLength}.`);
  return { op, params: check(OPS[op].params, message, what) } as Request<O>;
}

/** Runs the handler of the request's op. */
export function serve<O extends Op>(handlers: Handlers, request: Request<O>, payload: Uint8Array | undefined): Promise<Result<O>> {
  const handler: Handler<O> = handlers[request.op];
  return handler(request.params, payload);
}

/** How a result travels: as JSON, or (for ops whose `payload` is `result`) as the answer's bytes. */
export function encodeResult<O extends Op>(op: O, result: Result<O>): { result?: unknown; payload?: Uint8Array } {
  if (payloadOf(op) === 'result') return { payload: result as Uint8Array };
  return result === undefined ? {} : { result };
}

/** Checks an answer's result against its op's schema; throws ProtocolError naming the op and the field. */
export function decodeResult<O extends Op>(op: O, result: unknown, payload: Uint8Array | undefined): Result<O> {
  const value = payloadOf(op) === 'result' ? (payload ?? new Uint8Array()) : result;
  return check(OPS[op].result, value, `answer to the "${op}" request`) as Result<O>;
}
