import { expect } from 'chai';
import { findExamples, type Fence } from '../../src/markdown/examples.js';
import { parseInfo } from '../../src/markdown/info-string.js';

describe('reading a fence\'s info string', () => {
  it('takes the language, the flags, file= and the element\'s attributes, quoted or not', () => {
    const info = parseInfo('js {1,3} sandbox file=src/app.js layout=split command="node src/app.js --fast" label=\'My app\' title="app.js" skip');
    expect(info.lang).to.equal('js');
    expect([...info.flags]).to.deep.equal(['sandbox', 'skip']);
    expect(info.file).to.equal('src/app.js');
    expect(info.attributes, 'title= and {1,3} stay for the highlighter').to.deep.equal({ layout: 'split', command: 'node src/app.js --fast', label: 'My app' });
  });

  it('has no language when the info string starts with a flag', () => {
    expect(parseInfo('sandbox file=run.sh').lang).to.equal('');
    expect(parseInfo('').flags.size).to.equal(0);
  });
});

describe('grouping fences into examples', () => {
  const fence = (info: string, code = 'x\n'): Fence & { at: number } => ({ info, code, at: 0 });
  const group = (...fences: Array<Fence & { at: number }>) => {
    fences.forEach((f, i) => (f.at = i));
    return findExamples(fences, (a, b) => b.at === a.at + 1);
  };

  it('joins the blocks with file= that follow a sandbox block with file=, and takes the output block after them', () => {
    const [example, ...rest] = group(fence('js sandbox file=a.js id=one'), fence('js file=b.js layout=split'), fence('text output', '42\n'), fence('js file=c.js'));
    expect(rest).to.deep.equal([]);
    expect(example!.files.map((f) => f.path)).to.deep.equal(['a.js', 'b.js']);
    expect(example!.output?.code).to.equal('42\n');
    expect(example!.attributes).to.deep.equal({ id: 'one', layout: 'split' });
  });

  it('starts a new example at a block without file=, and leaves an output block with no example before it alone', () => {
    const examples = group(fence('text output'), fence('py sandbox'), fence('js sandbox file=index.js'));
    expect(examples.map((e) => e.files.map((f) => f.path))).to.deep.equal([['main.py'], ['index.js']]);
    expect(examples.every((e) => e.output === undefined)).to.equal(true);
  });

  it('says when two blocks of one example are the same file', () => {
    const [example] = group(fence('js sandbox file=a.js'), fence('js file=a.js'));
    expect(example!.problems).to.deep.equal(['Two blocks of one example are file=a.js; give each block its own file name.']);
  });
});
