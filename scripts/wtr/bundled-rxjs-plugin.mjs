// Serves rxjs to the test pages as one pre-bundled module instead of its ~300
// files. Each file is a request, and Chromium cancels the requests in flight
// when the machine's network changes (ERR_NETWORK_CHANGED: Docker adding or
// removing a container's interface), which then fails the whole test module.
// Fewer requests, far fewer such failures. One bundle, so one rxjs instance:
// `instanceof Observable` holds across test and source modules.
import { build } from 'esbuild';

const PATH = '/__bundled/rxjs.js';

export function bundledRxjsPlugin() {
  let bundle;
  return {
    name: 'bundled-rxjs',
    serverStart() {
      // Bundled before any page asks, so no module load waits on it.
      bundle = build({ stdin: { contents: "export * from 'rxjs';", resolveDir: process.cwd() }, bundle: true, format: 'esm', write: false, target: 'es2022', mainFields: ['es2015', 'module', 'main'] })
        .then((result) => result.outputFiles[0].text);
    },
    resolveImport({ source }) {
      return source === 'rxjs' ? PATH : undefined;
    },
    async serve(context) {
      if (context.path !== PATH) return undefined;
      return { body: await bundle, type: 'js' };
    },
  };
}
