// The server-side engine from Node, through the package's public exports only.
// Run after `npm run build`:  node demo/node-quickstart.mjs
import { collectText } from 'code-sandbox';
import { DEFAULT_IMAGE, LocalContainerEngine } from 'code-sandbox/server';

const engine = new LocalContainerEngine({ image: process.env.CODE_SANDBOX_IMAGE ?? DEFAULT_IMAGE });
try {
  await engine.boot();
  console.log(`booted container ${engine.containerId.slice(0, 12)}`);

  await engine.mount({ 'main.js': { file: { contents: 'console.log(6*7)' } } });
  const run = await engine.exec('node', ['main.js']);
  const output = collectText(run.stream);
  console.log(`node main.js printed ${(await output).trim()} and exited with ${await run.exit}`);

  await engine.writeFile('notes/hello.txt', 'written from Node');
  console.log(`read back: ${await engine.readFile('notes/hello.txt')}`);

  await engine.writeFile('server.js', `require('http').createServer((req, res) => res.end('hi from the sandbox')).listen(process.env.PORT)`);
  const server = await engine.startDevServer({ command: 'node server.js' });
  const response = await fetch(server.url);
  console.log(`dev server at ${server.url} answered: ${await response.text()}`);
} finally {
  await engine.teardown();
  console.log(`torn down (${engine.status})`);
}
