/**
 * The preview proxy as a front door: a request or upgrade (HMR) whose Host is
 * a preview host is streamed to that session's sandbox port, before the
 * session API routes or parses anything.
 */
import type { FrontDoor } from './front-doors.js';
import { HttpError, sendError } from './http-errors.js';
import { proxyHttp, proxyUpgrade, type PreviewHosts } from './preview-proxy.js';
import type { Session } from './session.js';

/** Takes preview hosts' requests and upgrades for the sessions in `sessions`. */
export function previewDoor(previews: PreviewHosts, sessions: ReadonlyMap<string, Session>): FrontDoor {
  /** The session and port a preview host names; undefined when `host` is no preview host. */
  const find = (host: string | undefined) => {
    const target = previews.target(host);
    return target && { port: target.port, id: target.session, session: sessions.get(target.session) };
  };
  return {
    request(req, res) {
      const found = find(req.headers.host);
      if (!found) return false;
      const { session, port, id } = found;
      if (!session) sendError(res, new HttpError(404, 'NOT_FOUND', `No sandbox session ${id} here. The session may have ended; run the example again.`), () => undefined);
      else proxyHttp(req, res, port, () => session.engine.connect(port));
      return true;
    },
    upgrade(req, socket, head) {
      const found = find(req.headers.host);
      if (!found) return false;
      const { session, port } = found;
      if (!session) socket.end('HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nNo sandbox session serves this port.');
      else proxyUpgrade(req, socket, head, port, () => session.engine.connect(port));
      return true;
    },
  };
}
