import { expect } from 'chai';
import { filter, firstValueFrom, from, map, Observable, toArray } from 'rxjs';
import { collectText, keepTail, OutputSubject } from '../../src/engine/observable.js';
import { rejectionOf } from '../contract/helpers.js';

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

  it('is an RxJS Observable: operators pipe, and RxJS takes it as it is', async () => {
    const subject = new OutputSubject<string>();
    expect(subject).to.be.instanceOf(Observable);
    const lines = firstValueFrom(subject.pipe(map((chunk) => chunk.toUpperCase()), toArray()));
    subject.next('a');
    subject.next('b');
    subject.complete();
    expect(await lines).to.deep.equal(['A', 'B']);
    expect(from(subject)).to.equal(subject);
  });

  it('holds early output through operators too: the first pipe subscribes and gets it', async () => {
    const subject = new OutputSubject<string>();
    subject.next('early ');
    const text = collectText(subject.pipe(filter((chunk) => chunk !== 'noise')));
    subject.next('noise');
    subject.next('late');
    subject.complete();
    expect(await text).to.equal('early late');
  });
});

describe('collectText', () => {
  it('collects a stream to its end, and is empty for an empty stream', async () => {
    const empty = new OutputSubject<string>();
    empty.complete();
    expect(await collectText(empty)).to.equal('');
  });

  it('rejects with the signal\'s reason when it fires first', async () => {
    const subject = new OutputSubject<string>();
    const controller = new AbortController();
    const text = collectText(subject, controller.signal);
    subject.next('partial');
    controller.abort(new Error('stopped'));
    expect((await rejectionOf(() => text)).message).to.equal('stopped');
  });
});

describe('keepTail', () => {
  it('keeps only the last characters printed, including what was held before it subscribed', () => {
    const subject = new OutputSubject<string>();
    subject.next('first line\n');
    const tail = keepTail(subject, 8);
    subject.next('second\n');
    subject.next('third\n');
    expect(tail.text).to.equal('d\nthird\n');
  });
});
