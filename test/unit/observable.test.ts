import { expect } from 'chai';
import { collectText, OutputSubject } from '../../src/engine/observable.js';

describe('OutputSubject', () => {
  it('holds values until the first subscriber, so early output is not lost', () => {
    const subject = new OutputSubject<string>();
    subject.next('a');
    subject.next('b');
    const seen: string[] = [];
    subject.subscribe((value) => seen.push(value));
    subject.next('c');
    expect(seen).to.deep.equal(['a', 'b', 'c']);
  });

  it('multicasts to later subscribers from the moment they subscribe', () => {
    const subject = new OutputSubject<number>();
    const first: number[] = [];
    const second: number[] = [];
    subject.subscribe((value) => first.push(value));
    subject.next(1);
    subject.subscribe((value) => second.push(value));
    subject.next(2);
    expect(first).to.deep.equal([1, 2]);
    expect(second).to.deep.equal([2]);
  });

  it('delivers completion to subscribers that arrive after the end', async () => {
    const subject = new OutputSubject<string>();
    subject.next('x');
    subject.complete();
    expect(await collectText(subject)).to.equal('x');
    let completed = false;
    subject.subscribe({ complete: () => (completed = true) });
    expect(completed).to.equal(true);
  });

  it('stops delivering after unsubscribe, and unsubscribing twice is harmless', () => {
    const subject = new OutputSubject<string>();
    const seen: string[] = [];
    const subscription = subject.subscribe((value) => seen.push(value));
    subject.next('a');
    subscription.unsubscribe();
    subscription.unsubscribe();
    subject.next('b');
    expect(seen).to.deep.equal(['a']);
    expect(subscription.closed).to.equal(true);
  });

  it('passes errors to error observers', () => {
    const subject = new OutputSubject<string>();
    let caught: unknown;
    subject.subscribe({ error: (error) => (caught = error) });
    subject.error(new Error('broken'));
    expect((caught as Error).message).to.equal('broken');
  });

  it('bounds what it holds for a first subscriber that never comes, dropping the oldest', () => {
    const subject = new OutputSubject<string>();
    const chunk = 4 * 1024 * 1024;
    for (const letter of ['a', 'b', 'c']) subject.next(letter.repeat(chunk));
    const seen: string[] = [];
    subject.subscribe((value) => seen.push(value[0]!));
    expect(seen).to.deep.equal(['b', 'c']);
  });

  it('interoperates through Symbol.observable', () => {
    const subject = new OutputSubject<string>();
    const key = (Symbol as { observable?: symbol }).observable ?? Symbol.for('observable');
    expect((subject as unknown as Record<symbol, () => unknown>)[key]!()).to.equal(subject);
  });
});
