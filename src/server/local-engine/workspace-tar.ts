/** Packs file tree entries into a tar archive for the agent's `untar`. */
import { pack } from 'tar-stream';
import { contentBytes, type TreeEntry } from '../../engine/file-system-tree.js';

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
