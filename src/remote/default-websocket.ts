/**
 * The WebSocket a remote engine uses when it is given none: the runtime's own
 * (browsers, Node 22+, Deno, Bun), else, in Node 20, the `ws` package (a
 * dependency of code-sandbox).
 */
import type { WebSocketConstructor } from './connection.js';

/** The runtime's WebSocket, or `ws`'s in a Node without one; undefined where neither exists. */
export async function defaultWebSocket(): Promise<WebSocketConstructor | undefined> {
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (global) return global;
  if (!(globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node) return undefined;
  // A specifier in a variable: bundlers for browsers (which always have a WebSocket) leave `ws` out.
  const specifier = 'ws';
  const ws = (await import(/* @vite-ignore */ /* webpackIgnore: true */ specifier)) as { WebSocket: WebSocketConstructor };
  return ws.WebSocket;
}
