/**
 * The fleet's front door, tried before the HTTP app routes a request: a
 * request for a session another server owns (its API, its WebSocket, its
 * preview hosts and their HMR WebSockets) is passed to the owner; a new
 * session on a full server goes to a peer with room. Everything else (and every request a peer passed on)
 * is this server's own: the front door declines it and the app serves it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { CLOSE } from '../../protocol/messages.js';
import { HttpError, sendError } from '../orchestrator/http-errors.js';
import type { FrontDoor } from '../orchestrator/front-doors.js';
import type { PreviewHosts } from '../orchestrator/preview-proxy.js';
import { forwardHttp, forwardUpgrade } from './forward.js';
import { attributeTo, type HopSigner } from './hop.js';
import type { Membership, Peer } from './membership.js';
import { ownerOfSession } from './owner.js';

/** This server's room: sessions open or starting, the limit, and whether it still takes new ones. */
export interface Capacity {
  sessions: number;
  limit: number;
  open: boolean;
}

export interface FleetFrontDoorContext {
  membership: Membership;
  hops: HopSigner;
  previews: PreviewHosts;
  /** This server's owner id. */
  owner: () => string;
  capacity: () => Capacity;
}

const SESSION_PATH = /^\/sessions\/([a-z0-9]{4,64})(?:\/ws)?$/;
/** What a load balancer waits before asking a full server again, in seconds. */
const RETRY_AFTER = '10';
const OWNER_GONE = 'The sandbox server running this session has stopped. Run the example again to start a new sandbox.';

/** What a request is about: a preview of a session, a session's API or WebSocket, or neither. */
function sessionOf(req: IncomingMessage, previews: PreviewHosts, path: string): { session: string; preview: boolean } | undefined {
  const preview = previews.target(req.headers.host);
  if (preview) return { session: preview.session, preview: true };
  const match = SESSION_PATH.exec(path);
  return match ? { session: match[1]!, preview: false } : undefined;
}

export class FleetFrontDoor implements FrontDoor {
  readonly #context: FleetFrontDoorContext;
  /** Completes the handshake of a WebSocket whose owner is gone, to close it with the reason. */
  readonly #closer = new WebSocketServer({ noServer: true });

  constructor(context: FleetFrontDoorContext) {
    this.#context = context;
  }

  request(req: IncomingMessage, res: ServerResponse): boolean {
    const hopped = this.#arrived(req);
    if (hopped || !this.#context.membership.configured) return false;
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const about = sessionOf(req, this.#context.previews, path);
    if (about) {
      if (ownerOfSession(about.session) === this.#context.owner()) return false;
      void this.#toOwner(about.session, req, (peer) =>
        forwardHttp(req, res, new URL(peer.url), this.#context.hops.sign(req), () => {
          this.#context.membership.markDead(peer);
          this.#gone(req, res, about.preview);
        }),
      ).catch(() => this.#gone(req, res, about.preview));
      return true;
    }
    if (path === '/sessions' && req.method === 'POST') return this.#place(req, res);
    return false;
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const hopped = this.#arrived(req);
    if (hopped || !this.#context.membership.configured) return false;
    const about = sessionOf(req, this.#context.previews, new URL(req.url ?? '/', 'http://localhost').pathname);
    if (!about || ownerOfSession(about.session) === this.#context.owner()) return false;
    socket.on('error', () => undefined);
    void this.#toOwner(about.session, req, (peer) =>
      forwardUpgrade(req, socket, head, new URL(peer.url), this.#context.hops.sign(req), () => {
        this.#context.membership.markDead(peer);
        this.#goneUpgrade(req, socket, head, about.preview);
      }),
    ).catch(() => this.#goneUpgrade(req, socket, head, about.preview));
    return true;
  }

  /** Whether a peer passed `req` on (a valid hop); the reader's address it names becomes the request's. */
  #arrived(req: IncomingMessage): boolean {
    const client = this.#context.hops.accept(req);
    attributeTo(req, client);
    return client !== undefined;
  }

  /** Hands `req` to its session's owner, or throws when no server of the fleet is that owner. */
  async #toOwner(session: string, req: IncomingMessage, forward: (peer: Peer) => void): Promise<void> {
    const { membership } = this.#context;
    const owner = ownerOfSession(session);
    // An owner not met yet may be a server that just joined: look again before calling it gone.
    if (!membership.ownerOf(owner)) {
      req.pause();
      await membership.refresh();
    }
    const peer = membership.ownerOf(owner);
    if (!peer) throw new Error(`no server of the fleet is ${owner}`);
    forward(peer);
  }

  /** A new session on a full (or closing) server goes to the peer with the most room; `false` leaves the answer to the app. */
  #place(req: IncomingMessage, res: ServerResponse): boolean {
    const { open, sessions, limit } = this.#context.capacity();
    if (open && sessions < limit) return false;
    const peer = this.#context.membership.roomiest();
    if (!peer) return false;
    forwardHttp(req, res, new URL(peer.url), this.#context.hops.sign(req), () => {
      this.#context.membership.markDead(peer);
      sendError(res, new HttpError(503, 'CAPACITY', 'Every sandbox server is busy; try again in a minute.', { 'retry-after': RETRY_AFTER }), () => undefined);
    });
    return true;
  }

  #gone(req: IncomingMessage, res: ServerResponse, preview: boolean): void {
    if (res.headersSent) return void res.destroy();
    if (preview) {
      res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' }).end(OWNER_GONE);
      return;
    }
    if (req.headers.origin) res.setHeader('access-control-allow-origin', req.headers.origin);
    sendError(res, new HttpError(404, 'NOT_FOUND', OWNER_GONE), () => undefined);
  }

  /** The reader's WebSocket is closed with a final code and the reason, so the terminal says why and the next Run starts afresh. */
  #goneUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, preview: boolean): void {
    if (socket.destroyed) return;
    if (preview) {
      socket.end(`HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${OWNER_GONE}`);
      return;
    }
    socket.resume();
    this.#closer.handleUpgrade(req, socket, head, (ws) => ws.close(CLOSE.sessionEnded, OWNER_GONE));
  }
}
