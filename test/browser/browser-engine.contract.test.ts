/** BrowserContainerEngine passes the shared contract, against the in-page stand-in of @webcontainer/api, where WebContainer semantics apply. */
import { expect } from 'chai';
import type { ContainerEngine } from '../../src/engine/container-engine.js';
import { BrowserContainerEngine } from '../../src/browser-engine/browser-container-engine.js';
import { containerEngineContract } from '../contract/container-engine.contract.js';
import { WebContainerStandIn } from './support/webcontainer-stand-in.js';

containerEngineContract('BrowserContainerEngine (against an in-page stand-in of @webcontainer/api)', {
  create: () => new BrowserContainerEngine({ api: WebContainerStandIn }),
  assertGone: async (engine: ContainerEngine) => {
    const { directory } = engine as BrowserContainerEngine;
    const container = WebContainerStandIn.current;
    expect(container, 'the suite\'s own engine still holds the page\'s WebContainer').not.to.equal(undefined);
    expect((await container!.fs.readdir('.', { withFileTypes: true })).map((entry) => entry.name)).not.to.include(directory);
    expect([...container!.processes].filter((process) => process.cwd.includes(`/${directory}`))).to.deep.equal([]);
  },
  python: false, // WebContainers run Node.js only
  registry: false, // the stand-in has no package registry (its npm installs file: dependencies only)
  selfSignals: false, // WebContainer processes are not POSIX processes that signal themselves
  separateStderr: false, // WebContainer runs processes on a terminal: stderr merges into the output
  workspaceAtRoot: false, // the workspace is the engine's folder under the WebContainer's workdir
  pipedStdin: false, // stdin is a terminal: input echoes and has no end-of-file
  fetchableDevServer: false, // the stand-in reports server-ready but serves no preview URL
});
