/**
 * Which server of a fleet owns a session: every session id starts with its
 * owner's id, a short hash of the URL peers reach that server at. Any server
 * reads the owner from the id alone (and so from a preview host or a token).
 */
import { createHash } from 'node:crypto';
import { networkInterfaces } from 'node:os';

/** Length of the owner prefix of a session id (hex characters). */
export const OWNER_ID_LENGTH = 6;

/** The owner id of the server that peers reach at `advertiseUrl`. */
export function ownerIdOf(advertiseUrl: string): string {
  return createHash('sha256').update(new URL(advertiseUrl).origin).digest('hex').slice(0, OWNER_ID_LENGTH);
}

/** The owner id a session id starts with. */
export function ownerOfSession(session: string): string {
  return session.slice(0, OWNER_ID_LENGTH);
}

/**
 * The URL peers reach this server at when the operator gave none: the listen
 * address, or when that is every interface, this host's first non-loopback
 * IPv4 address (a pod's IP, a Compose container's).
 */
export function defaultAdvertiseUrl(host: string, port: number): string {
  if (host !== '0.0.0.0' && host !== '::' && host !== '') return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const external = Object.values(networkInterfaces())
    .flat()
    .find((address) => address && address.family === 'IPv4' && !address.internal);
  return `http://${external?.address ?? '127.0.0.1'}:${port}`;
}
