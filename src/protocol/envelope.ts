/**
 * The messages around the requests (ops.ts): greetings, answers, process
 * output, port events, errors, acknowledgements and heartbeats. Each side
 * checks every message it receives against these schemas; their types come
 * from the same schemas.
 */
import * as v from 'valibot';
import { check, count, fields, int, map, MAX_LIST, MAX_PATH, oneOf, text, variantMessage } from './schema.js';
import { OP_NAMES } from './ops.js';

const version = int(0, 1_000_000);
const pid = count;

/** An error as it travels: the code of a SandboxError subclass, its message and its structured fields. */
const wireError = fields({
  code: text(64),
  message: text(),
  /** Only the fields this version knows, each of its type; others are dropped (for newer servers). */
  fields: v.exactOptional(fields({ path: v.exactOptional(text(MAX_PATH)), logs: v.exactOptional(text()), retryAfter: v.exactOptional(int(0, 86_400)) })),
});

const clientMessage = v.variant(
  't',
  [
    fields({ t: v.literal('hello'), v: version, resume: v.exactOptional(map(int(-1, Number.MAX_SAFE_INTEGER), MAX_LIST)) }),
    // A request's own fields are checked against its op's params (ops.ts), so they are kept here.
    v.looseObject({ t: v.literal('req'), id: count, op: oneOf(OP_NAMES) }),
    fields({ t: v.literal('ack'), pid, seq: count }),
    fields({ t: v.literal('ping'), n: count }),
  ],
  variantMessage,
);

const serverMessage = v.variant(
  't',
  [
    fields({ t: v.literal('hello'), v: version, session: text(64) }),
    v.variant(
      'ok',
      [
        // The result is checked against the op of the request it answers (ops.ts, decodeResult).
        fields({ t: v.literal('res'), id: count, ok: v.literal(true), result: v.exactOptional(v.unknown()) }),
        fields({ t: v.literal('res'), id: count, ok: v.literal(false), error: wireError }),
      ],
      variantMessage,
    ),
    fields({ t: v.literal('out'), pid, seq: count, fd: oneOf([1, 2] as const), d: text(1 << 24) }),
    fields({ t: v.literal('exit'), pid, seq: count, code: int(-1, 255) }),
    fields({ t: v.literal('pong'), n: count }),
    fields({ t: v.literal('error'), error: wireError, id: v.exactOptional(count) }),
    /** A TCP port began or stopped listening in the sandbox (also sent for each open port after hello); `url` previews it. */
    fields({ t: v.literal('port'), port: int(1, 65535), state: oneOf(['open', 'closed'] as const), url: text(2048) }),
  ],
  variantMessage,
);

/** An error as it travels (see wire-errors.ts). */
export type WireError = v.InferOutput<typeof wireError>;
/** Client to server. A request's own fields are its op's params (ops.ts). */
export type ClientMessage = v.InferOutput<typeof clientMessage>;
/** Server to client. */
export type ServerMessage = v.InferOutput<typeof serverMessage>;
/** What a message says it is, for errors: `"exit" message` (a short `t` only, so an error never echoes much of a hostile peer's input). */
function kindOf(value: unknown): string {
  const kind = (value as { t?: unknown } | null)?.t;
  return typeof kind === 'string' && kind.length <= 16 ? `${JSON.stringify(kind)} message` : 'message';
}

/** Checks a message from a client (a request's params are checked next, by parseRequest with its op); throws ProtocolError naming the field. */
export function parseClientMessage(value: unknown): ClientMessage {
  return check(clientMessage, value, kindOf(value));
}

/** Checks a message from the server (an answer's result is checked later, against its request's op); throws ProtocolError. */
export function parseServerMessage(value: unknown): ServerMessage {
  return check(serverMessage, value, kindOf(value));
}
