/**
 * A sandbox agent that lies: well-framed messages of the wrong shape, results
 * that do not fit their op, and random bytes. Each ends that connection with a
 * ProtocolError that names the op or event and the field, fails what was
 * pending, and never throws to the caller of receive(); other connections carry on.
 */
import { expect } from 'chai';
import { ProtocolError } from '../../../src/engine/errors.js';
import { AgentConnection } from '../../../src/server/local-engine/agent/agent-connection.js';
import type { AgentOp } from '../../../src/server/local-engine/agent/agent-messages.js';
import { encodeBody, encodeData, encodeMessage, FrameDecoder, type Json } from '../../../src/server/local-engine/agent/frames.js';
import { pseudoRandomBytes, rejectionOf } from '../../contract/helpers.js';

/** A connection, and the id of the last request it sent. */
function connection() {
  const decoder = new FrameDecoder();
  const sent: Json[] = [];
  const agent = new AgentConnection((bytes) => {
    for (const frame of decoder.push(bytes)) if (frame.kind === 'message') sent.push(frame.message);
  });
  return { agent, lastId: () => sent.at(-1)!['id'] as number };
}

/** Sends `op`, answers it with `answer` (given the request's id), and returns the connection's failure. */
async function answer(op: AgentOp, reply: (id: number) => Buffer): Promise<{ failure: Error | undefined; rejection: Error }> {
  const { agent, lastId } = connection();
  const pending = agent.request(op);
  expect(() => agent.receive(reply(lastId()))).not.to.throw();
  return { failure: agent.failure, rejection: await rejectionOf(() => pending) };
}

describe('agent fuzz: malformed messages from the sandbox', () => {
  const results: Array<[AgentOp, unknown, string]> = [
    ['spawn', { pid: 'one' }, 'answer of the sandbox agent to "spawn": pid must be an integer'],
    ['spawn', {}, 'answer of the sandbox agent to "spawn": pid is missing'],
    ['readdir', { entries: [{ name: 'a', kind: 'fifo' }] }, 'to "readdir": entries[0].kind must be one of file, directory, symlink, other'],
    ['readdir', { entries: 'all of them' }, 'to "readdir": entries must be a list'],
    ['read-file', { size: -1 }, 'to "read-file": size must be an integer from 0'],
    ['hello', { version: 1, agent: 7, pid: 1 }, 'to "hello": agent must be a string'],
    ['ping', null, 'to "ping": it must be an object'],
  ];
  for (const [op, result, says] of results) {
    it(`refuses the result ${JSON.stringify(result)} of "${op}", naming the op and the field`, async () => {
      const { failure, rejection } = await answer(op, (id) => encodeMessage({ id, ok: true, result: result as Json }));
      expect(failure).to.be.instanceOf(ProtocolError);
      expect(failure!.message).to.contain(says);
      expect(rejection).to.equal(failure);
    });
  }

  const messages: Array<[string, Json, string]> = [
    ['an error without a message', { id: 1, ok: false, error: { code: 'INTERNAL' } }, 'response of the sandbox agent to request 1: error.message is missing'],
    ['a response that is neither ok nor not', { id: 1, ok: 'yes' }, 'ok must be one of true, false'],
    ['a negative id', { id: -4, ok: true, result: {} }, 'id must be an integer from 0'],
    ['an unknown event', { event: 'reboot' }, '"reboot" event of the sandbox agent: event must be one of ready, port, exit, end, ack'],
    ['an exit without its code', { event: 'exit', channel: 1 }, '"exit" event of the sandbox agent: code is missing'],
    ['an ack of a fraction of a byte', { event: 'ack', channel: 1, bytes: 0.5 }, '"ack" event of the sandbox agent: bytes must be an integer'],
    ['a port out of range', { event: 'port', port: 0, state: 'open' }, '"port" event of the sandbox agent: port must be an integer from 1 to 65535'],
    ['a message that is neither a response nor an event', { hello: 'there' }, 'event of the sandbox agent: event must be one of'],
  ];
  for (const [what, message, says] of messages) {
    it(`refuses ${what}, naming the field`, async () => {
      const { failure, rejection } = await answer('ping', () => encodeMessage(message));
      expect(failure).to.be.instanceOf(ProtocolError);
      expect(failure!.message).to.contain(says);
      expect(rejection).to.be.instanceOf(ProtocolError);
    });
  }

  it('survives 2000 random and mutated frames, each ending its connection with a ProtocolError, while another connection keeps serving', async () => {
    const healthy = connection();
    const valid = [
      encodeMessage({ event: 'exit', channel: 3, code: 0 }),
      encodeMessage({ id: 1, ok: true, result: { entries: [{ name: 'a', kind: 'file' }] } }),
      encodeBody({ id: 1, ok: true, result: { size: 3 } }, new Uint8Array([1, 2, 3])),
      encodeData(1, 1, new Uint8Array([104, 105])),
    ];
    for (let i = 0; i < 2000; i++) {
      const { agent } = connection();
      const pending = agent.request('readdir');
      const base = valid[i % valid.length]!;
      // Odd rounds: random bytes. Even rounds: a valid frame with bytes of its JSON flipped (a still-valid frame may remain).
      const bytes = i % 2 ? Buffer.from(pseudoRandomBytes(5 + (i % 300), i + 1)) : Buffer.from(base);
      for (let k = 0; i % 2 === 0 && k < 3; k++) {
        const at = 5 + ((i * 7 + k * 13) % (bytes.length - 5));
        bytes[at] = bytes[at]! ^ (1 << ((i + k) % 8));
      }
      expect(() => agent.receive(bytes), `frame ${i}`).not.to.throw();
      if (agent.failure) {
        expect(agent.failure, `frame ${i}`).to.be.instanceOf(ProtocolError);
        expect(await rejectionOf(() => pending), `frame ${i}`).to.equal(agent.failure);
      } else {
        agent.close(new ProtocolError('test over'));
        await pending.catch(() => undefined);
      }
      if (i % 500 === 0) {
        const ping = healthy.agent.request('ping');
        healthy.agent.receive(encodeMessage({ id: healthy.lastId(), ok: true, result: {} }));
        expect((await ping).result).to.deep.equal({});
      }
    }
    expect(healthy.agent.failure).to.equal(undefined);
  });
});
