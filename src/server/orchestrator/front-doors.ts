/**
 * Front doors: handlers that may take a request or a WebSocket upgrade before
 * the session API sees it (before fastify's routing and body parsing), such as
 * the preview proxy, which streams a preview host's traffic to its sandbox. Each
 * door is tried in order; the first that answers true owns the request, and
 * whatever no door takes goes to the app.
 */
import type { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { sendError } from './http-errors.js';

/** A handler tried before the app; true means it took the request (and answers it). */
export interface FrontDoor {
  /** Takes an HTTP request, or returns false to pass it on. */
  request(req: IncomingMessage, res: ServerResponse): boolean;
  /** Takes a WebSocket (or other) upgrade, or returns false to pass it on. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
}

/**
 * An HTTP server whose requests try `doors` before `app`, and whose upgrades
 * try them before being re-emitted on `upgrades` (where the app listens).
 * A door that throws answers with the error (a JSON body, or a closed socket).
 */
export function frontDoorServer(doors: readonly FrontDoor[], app: RequestListener, upgrades: EventEmitter, log: (line: string) => void): Server {
  const server = createServer((req, res) => {
    try {
      if (!doors.some((door) => door.request(req, res))) app(req, res);
    } catch (error) {
      sendError(res, error, log);
    }
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    try {
      if (!doors.some((door) => door.upgrade(req, socket, head))) upgrades.emit('upgrade', req, socket, head);
    } catch (error) {
      log(`upgrade failed: ${(error as Error)?.stack ?? String(error)}`);
      socket.destroy();
    }
  });
  return server;
}
