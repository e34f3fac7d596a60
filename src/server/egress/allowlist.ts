/**
 * Which hosts sandboxes with `registries` egress may reach through the proxy:
 * the package registries of the stacks the server runs, by name. An entry is
 * `host` (ports 443 and 80), `host:port`, or `*.domain` (any subdomain, not the
 * domain itself). Requests are matched by the name the sandbox asked for: an
 * address (a registry's IP, this host's) is refused unless it is listed itself.
 */

/** The hosts `registries` egress allows by default, per stack. */
export const REGISTRY_HOSTS: readonly string[] = [
  // npm (and Yarn classic's mirror of it)
  'registry.npmjs.org',
  'registry.yarnpkg.com',
  // PyPI: the index, and the files it links to
  'pypi.org',
  'files.pythonhosted.org',
  // crates.io: the sparse index and the crate downloads
  'crates.io',
  'index.crates.io',
  'static.crates.io',
  // Go's module proxy and checksum database
  'proxy.golang.org',
  'sum.golang.org',
  // RubyGems
  'rubygems.org',
  'index.rubygems.org',
  // Packagist: its metadata, and GitHub, where most packages' archives come from
  'repo.packagist.org',
  'packagist.org',
  'api.github.com',
  'codeload.github.com',
];

const DEFAULT_PORTS = [443, 80];

interface Entry {
  /** The exact host, or the suffix (with its leading dot) of a wildcard. */
  host: string;
  wildcard: boolean;
  ports: number[];
}

/** A parsed host allowlist. */
export class HostAllowlist {
  readonly #entries: Entry[];

  /** Throws a TypeError naming the bad entry and the accepted forms. */
  constructor(entries: readonly string[]) {
    this.#entries = entries.map(parseEntry);
  }

  /** Whether a sandbox may connect to `host` on `port`. */
  allows(host: string, port: number): boolean {
    const name = normalise(host);
    return this.#entries.some((entry) => entry.ports.includes(port) && (entry.wildcard ? name.endsWith(entry.host) : name === entry.host));
  }
}

function parseEntry(text: string): Entry {
  const match = /^(\*\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)*)\.?(?::(\d{1,5}))?$/i.exec(text.trim());
  const port = match?.[3] === undefined ? undefined : Number(match[3]);
  if (!match || (port !== undefined && (port < 1 || port > 65535))) {
    throw new TypeError(`"${text}" is not an egress host: give a host name (registry.example.com), a host and port (registry.example.com:8443) or a wildcard (*.example.com).`);
  }
  const wildcard = Boolean(match[1]);
  const host = normalise(match[2]!);
  return { host: wildcard ? `.${host}` : host, wildcard, ports: port === undefined ? DEFAULT_PORTS : [port] };
}

function normalise(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}
