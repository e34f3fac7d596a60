import { expect } from 'chai';
import { workspaceFilePath, workspaceRelative } from '../../src/engine/paths.js';

describe('workspace paths', () => {
  it('normalises relative and /workspace paths', () => {
    expect(workspaceRelative('src/./index.js')).to.equal('src/index.js');
    expect(workspaceRelative('a//b/../c')).to.equal('a/c');
    expect(workspaceRelative('/workspace/src/x.js')).to.equal('src/x.js');
    expect(workspaceRelative('/workspace')).to.equal('');
    expect(workspaceRelative('.')).to.equal('');
    expect(workspaceRelative('win\\style\\path.txt')).to.equal('win/style/path.txt');
  });

  for (const [path, reason] of [
    ['../x', '".."'],
    ['a/../../x', '".."'],
    ['/etc/passwd', 'inside /workspace'],
    ['/workspacefoo/x', 'inside /workspace'],
    ['/workspace/../etc', '".."'],
    ['a\0b', 'NUL'],
  ] as const) {
    it(`refuses ${JSON.stringify(path)} with a reason and a fix`, () => {
      expect(() => workspaceRelative(path)).to.throw(/Invalid path/).with.property('code', 'INVALID_PATH');
      expect(() => workspaceRelative(path)).to.throw(reason);
      expect(() => workspaceRelative(path)).to.throw(/Use a path inside the workspace/);
    });
  }

  it('refuses the workspace itself where a file is meant', () => {
    expect(() => workspaceFilePath('/workspace/')).to.throw(/names the workspace folder/);
    expect(workspaceFilePath('a/b.txt')).to.equal('a/b.txt');
  });
});
