/**
 * What the sandbox agent may say (docs/agent-protocol.md), as valibot schemas in
 * the style of the wire protocol's (src/protocol/ops.ts): the result of each op,
 * the responses and the events. The connection checks every message against
 * them, so a sandbox that sends something else ends its own connection with a
 * ProtocolError that names the op or event and the field, and never reaches the
 * code that reads results.
 */
import * as v from 'valibot';
import { check, count, fields, int, list, oneOf, text, variantMessage } from '../../../protocol/schema.js';

const channel = int(0, 0xffffffff);
/** A Go `int` as the agent prints it (exit codes, byte counts). */
const goInt = int(-(2 ** 31), 2 ** 31 - 1);
/** Ops that answer `{}`; fields the TypeScript side does not read are dropped. */
const empty = fields({});

/** The result of each request op. */
export const AGENT_RESULTS = {
  hello: fields({ version: count, agent: text(256), pid: count }),
  spawn: fields({ pid: count }),
  resize: empty,
  'close-stdin': empty,
  kill: empty,
  'write-file': empty,
  /** The contents come as the response's body. */
  'read-file': fields({ size: count }),
  delete: empty,
  readdir: fields({ entries: list(fields({ name: text(4096), kind: oneOf(['file', 'directory', 'symlink', 'other'] as const) })) }),
  untar: empty,
  /** The archive comes as the response's body. */
  tar: fields({ size: count }),
  connect: empty,
  close: empty,
  shutdown: empty,
  ping: empty,
} satisfies Record<string, v.GenericSchema>;

/** An op the server sends and the agent answers. */
export type AgentOp = keyof typeof AGENT_RESULTS;
/** What the agent answers to `O`. */
export type AgentResult<O extends AgentOp> = v.InferOutput<(typeof AGENT_RESULTS)[O]>;

const response = v.variant(
  'ok',
  [
    // The result is checked against its request's op (checkAgentResult).
    fields({ id: count, ok: v.literal(true), result: v.unknown() }),
    fields({ id: count, ok: v.literal(false), error: fields({ code: text(64), message: text(), path: v.exactOptional(text(4096)) }) }),
  ],
  variantMessage,
);

const event = v.variant(
  'event',
  [
    fields({ event: v.literal('ready'), version: count, agent: text(256) }),
    fields({ event: v.literal('port'), port: int(1, 65535), state: oneOf(['open', 'closed'] as const), address: v.exactOptional(text(256)) }),
    fields({ event: v.literal('exit'), channel, code: goInt, oomKills: v.exactOptional(goInt) }),
    fields({ event: v.literal('end'), channel }),
    fields({ event: v.literal('ack'), channel, bytes: int(0, 2 ** 31 - 1) }),
  ],
  variantMessage,
);

/** A response from the agent, its result not yet checked. */
export type AgentResponseMessage = v.InferOutput<typeof response>;
/** An event from the agent. */
export type AgentEvent = v.InferOutput<typeof event>;

/** Checks a message from the agent: a response when it has an `id`, else an event; throws ProtocolError. */
export function parseAgentMessage(message: Record<string, unknown>): AgentResponseMessage | AgentEvent {
  if ('id' in message) return check(response, message, `response of the sandbox agent${describeId(message['id'])}`);
  const name = message['event'];
  return check(event, message, typeof name === 'string' && name.length <= 16 ? `"${name}" event of the sandbox agent` : 'event of the sandbox agent');
}

/** Checks a result against its op's schema; throws ProtocolError naming the op and the field. */
export function checkAgentResult<O extends AgentOp>(op: O, result: unknown): AgentResult<O> {
  return check(AGENT_RESULTS[op], result, `answer of the sandbox agent to "${op}"`) as AgentResult<O>;
}

function describeId(id: unknown): string {
  return typeof id === 'number' && Number.isSafeInteger(id) ? ` to request ${id}` : '';
}
