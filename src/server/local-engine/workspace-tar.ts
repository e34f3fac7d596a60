/** Packs file tree entries into a tar archive for the sandbox's `tar -x`. */
import { pack } from 'tar-stream';
import { contentBytes, type TreeEntry } from '../../engine/file-system-tree.js';
import { WORKSPACE } from '../../engine/paths.js';

export async function packEntries(entries: TreeEntry[]): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of archive) chunks.push(chunk as Buffer);
  })();
  const mtime = new Date();
  for (const entry of entries) {
    if (entry.kind === 'directory') {
      archive.entry({ name: entry.path, type: 'directory', mode: 0o755, mtime });
    } else if (entry.kind === 'symlink') {
      archive.entry({ name: entry.path, type: 'symlink', linkname: entry.target, mode: 0o777, mtime });
    } else {
      archive.entry({ name: entry.path, type: 'file', mode: 0o644, mtime }, Buffer.from(contentBytes(entry.contents)));
    }
  }
  archive.finalize();
  await done;
  return Buffer.concat(chunks);
}

/**
 * The absolute folders unpacking `entries` writes into (a directory entry's own
 * path, another entry's parent), deepest only: resolving a folder resolves every
 * folder above it, and the sandbox's UNTAR refuses those a symlink leads outside.
 */
export function foldersWritten(entries: TreeEntry[]): string[] {
  const folders = new Set<string>();
  for (const entry of entries) {
    const folder = entry.kind === 'directory' ? entry.path : entry.path.slice(0, Math.max(entry.path.lastIndexOf('/'), 0));
    if (folder) folders.add(folder);
  }
  const ancestors = new Set<string>();
  for (const folder of folders) {
    for (let at = folder.lastIndexOf('/'); at > 0; at = folder.lastIndexOf('/', at - 1)) ancestors.add(folder.slice(0, at));
  }
  return [...folders].filter((folder) => !ancestors.has(folder)).map((folder) => `${WORKSPACE}/${folder}`);
}
