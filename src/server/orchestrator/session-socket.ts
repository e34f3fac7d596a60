/** A session's WebSocket once upgraded: its token checked, attached to the session, and kept alive by the heartbeat. */
import type { WebSocket, WebSocketServer } from 'ws';
import { CLOSE } from '../../protocol/messages.js';
import type { SessionRegistry } from './session-registry.js';
import { TOKEN_MESSAGES, type TokenSigner } from './tokens.js';

/** Attaches `ws` to session `id` when `token` is its; otherwise closes it with the reason. */
export function attachSocket(registry: SessionRegistry, signer: TokenSigner, ws: WebSocket, id: string, token: string | undefined): void {
  const problem = signer.check(token, id);
  if (problem) return ws.close(CLOSE.unauthorized, TOKEN_MESSAGES[problem].slice(0, 120));
  const session = registry.sessions.get(id);
  if (!session) return ws.close(CLOSE.sessionEnded, 'This session has ended. Create a new one.');
  watchLiveness(ws);
  session.attach(ws);
  void session.thaw();
}

/** Dead peers: the heartbeat terminates a socket that missed a ping's pong; its session then idles out. */
type Watched = WebSocket & { alive?: boolean };

function watchLiveness(ws: Watched): void {
  ws.alive = true;
  ws.on('pong', () => (ws.alive = true));
}

/** One heartbeat over every socket (every 30 s). */
export function heartbeat(websockets: WebSocketServer): void {
  for (const ws of websockets.clients as Set<Watched>) {
    if (ws.alive === false) ws.terminate();
    else {
      ws.alive = false;
      ws.ping();
    }
  }
}
