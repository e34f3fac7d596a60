/**
 * A reader's edits kept in localStorage, per page and example, with the
 * author's text each edit was based on: when the author has changed a file
 * since, the edits are not applied silently over the new content.
 */

/** What is stored: per edited file, the reader's text and the author's text it was based on. */
export interface StoredEdits {
  files: Record<string, { text: string; base: string }>;
}

/** Reads and writes one example's edits. Storage that throws (private mode, a sandboxed frame) keeps nothing. */
export class EditStore {
  constructor(readonly key: string) {}

  /** The stored edits, or undefined when there are none (or they cannot be read). */
  load(): StoredEdits | undefined {
    try {
      const raw = localStorage.getItem(this.key);
      const value: unknown = raw === null ? undefined : JSON.parse(raw);
      return isStoredEdits(value) ? value : undefined;
    } catch {
      return undefined;
    }
  }

  /** Keeps `edits`, or forgets them when there are none. */
  save(edits: StoredEdits): void {
    try {
      if (Object.keys(edits.files).length === 0) localStorage.removeItem(this.key);
      else localStorage.setItem(this.key, JSON.stringify(edits));
    } catch {
      // Full or unavailable: the edits live as long as the page.
    }
  }

  /** Forgets the edits. */
  clear(): void {
    this.save({ files: {} });
  }
}

/**
 * Whether stored edits still apply to the author's files: every edited file
 * is still there with the text the edit was based on.
 */
export function editsApply(stored: StoredEdits, originals: ReadonlyMap<string, string>): boolean {
  return Object.entries(stored.files).every(([path, { base }]) => originals.get(path) === base);
}

function isStoredEdits(value: unknown): value is StoredEdits {
  if (value === null || typeof value !== 'object' || !('files' in value)) return false;
  const files = (value as { files: unknown }).files;
  return files !== null && typeof files === 'object' &&
    Object.values(files).every((file: unknown) => typeof (file as StoredEdits['files'][string] | null)?.text === 'string' && typeof (file as StoredEdits['files'][string]).base === 'string');
}
