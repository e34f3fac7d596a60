/** Flow control between process output and xterm: one write in flight, bounded backlog. DOM-free. */
import { expect } from 'chai';
import { OutputPump } from '../../src/element/terminal/output-pump.js';

/** A sink that records writes and completes them only when told. */
function manualSink() {
  const writes: string[] = [];
  const pending: Array<() => void> = [];
  return {
    writes,
    sink: (data: string, done: () => void) => {
      writes.push(data);
      pending.push(done);
    },
    finishOne: () => pending.shift()?.(),
  };
}

describe('OutputPump', () => {
  it('queues until a sink is attached, then writes in order, one batch in flight', () => {
    const pump = new OutputPump({ batchSize: 4 });
    pump.push('ab');
    pump.push('cdef');
    const { writes, sink, finishOne } = manualSink();
    pump.attach(sink);
    expect(writes).to.deep.equal(['abcd']);
    pump.push('g');
    expect(writes).to.have.length(1);
    finishOne();
    expect(writes).to.deep.equal(['abcd', 'efg']);
    finishOne();
    expect(pump.backlog).to.equal(0);
  });

  it('drops the oldest output past maxBacklog and says how much', () => {
    const pump = new OutputPump({ batchSize: 1000, maxBacklog: 10 });
    const { writes, sink, finishOne } = manualSink();
    pump.attach(sink);
    pump.push('first'); // in flight
    for (let i = 0; i < 10; i++) pump.push(`${i}${i}${i}${i}`);
    expect(pump.backlog).to.be.at.most(10);
    expect(pump.dropped).to.equal(32);
    finishOne();
    expect(writes[1]).to.match(/^\r\n.*\[code-sandbox: 32 characters of output skipped to keep the page responsive\].*\r\n88889999$/);
  });

  it('ignores callbacks from a detached sink and resumes on the next one', () => {
    const pump = new OutputPump();
    const first = manualSink();
    pump.attach(first.sink);
    pump.push('a');
    pump.detach();
    pump.push('b');
    first.finishOne(); // late callback from a disposed terminal
    expect(first.writes).to.deep.equal(['a']);
    const second = manualSink();
    pump.attach(second.sink);
    expect(second.writes).to.deep.equal(['b']);
  });

  it('forgets queued output on clear', () => {
    const pump = new OutputPump();
    pump.push('old');
    pump.clear();
    const { writes, sink } = manualSink();
    pump.attach(sink);
    expect(writes).to.deep.equal([]);
  });
});
