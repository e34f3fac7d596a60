/**
 * The sandbox images `scripts/setup.sh` builds (one Debian trixie root, one image
 * per stack FROM it), by stack. The one place their names live in the code;
 * setup.sh names them too (`images` part).
 */
import type { Stack } from '../engine/stack.js';

/** The default image: Node.js LTS with npm, Python with venv and pip, git, build tools, Redis. */
export const DEFAULT_IMAGE = 'code-sandbox/base:trixie';

/** The image setup.sh builds for each stack that has its own; node, python and shell run the default image. */
export const STACK_IMAGES: Readonly<Partial<Record<Stack, string>>> = {
  go: 'code-sandbox/go:trixie',
  rust: 'code-sandbox/rust:trixie',
  ruby: 'code-sandbox/ruby:trixie',
  php: 'code-sandbox/php:trixie',
};

/**
 * The command that gets `image` onto the daemon: setup.sh's `images` part for the
 * images it builds, else `docker pull`.
 */
export function imageFixCommand(image: string): string {
  const stack = image === DEFAULT_IMAGE ? 'node' : Object.entries(STACK_IMAGES).find(([, name]) => name === image)?.[0];
  if (stack === undefined) return `docker pull ${image}`;
  return `npm run setup -- images ${stack}\` in a checkout of code-sandbox, or \`bash node_modules/code-sandbox/scripts/setup.sh images ${stack}`;
}
