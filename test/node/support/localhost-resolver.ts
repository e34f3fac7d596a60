/**
 * Browsers resolve every `*.localhost` name to loopback by themselves; Node's
 * resolver and glibc here do not. Node-side tests of preview URLs therefore
 * route fetch's connections for `*.localhost` to 127.0.0.1, keeping the Host
 * header the orchestrator routes by.
 */
import type { LookupFunction } from 'node:net';
import { lookup } from 'node:dns';
import { Agent, setGlobalDispatcher } from 'undici';

const localhostLookup = ((hostname: string, options: object, callback: (...args: unknown[]) => void) => {
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) {
    if ((options as { all?: boolean }).all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
    else callback(null, '127.0.0.1', 4);
    return;
  }
  lookup(hostname, options, callback as never);
}) as LookupFunction;

setGlobalDispatcher(new Agent({ connect: { lookup: localhostLookup } }));
