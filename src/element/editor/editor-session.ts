/**
 * The reader's editor: the example's visible files in CodeMirror 6, one tab per
 * file, edits kept per page and example (see edit-store.ts) and reported to the
 * element so a running dev server sees them. The element loads this module with
 * `import()` when the reader first focuses or clicks the code, or on Run; until
 * then the author's `<pre>` stays as the page rendered it.
 */
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { bracketMatching, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import { EditorState, type Extension } from '@codemirror/state';
import { drawSelection, EditorView, keymap } from '@codemirror/view';
import { classHighlighter } from '@lezer/highlight';
import { html, nothing, render, type TemplateResult } from 'lit';
import { fileChildren } from '../files/collect-files.js';
import { EditStore, editsApply, type StoredEdits } from './edit-store.js';
import { editorStyles, editorTheme } from './editor-styles.js';
import { languageFor } from './languages.js';
import { nextTab } from './tablist-keys.js';

/** How the element opens its editor. */
export interface EditorOptions {
  /** The element whose `data-file` children are the files; the editor mounts its styles in its shadow root. */
  host: Element & { readonly shadowRoot: ShadowRoot | null };
  /** The reader may look but not edit. */
  readonly: boolean;
  /** Where the edits are kept (localStorage key), or undefined to keep them only while the page lives. */
  storageKey: string | undefined;
  /** Called once the reader pauses typing (debounced), to write the edit through to a running dev server. */
  onEdit: () => void;
}

/** One file in the editor: its path, the author's text, its highlighting and its editor state (the active file's lives in the view). */
interface OpenFile {
  path: string;
  original: string;
  language: Extension;
  state: EditorState;
}

/** How long typing pauses before an edit is written through to the sandbox. */
const WRITE_DELAY_MS = 40;

export class EditorSession {
  /** The editor's element (file tabs, notices and the code), which the element renders in place of the code. */
  readonly element: HTMLElement;

  readonly #options: EditorOptions;
  readonly #files: OpenFile[];
  readonly #bar: HTMLElement;
  readonly #view: EditorView | undefined;
  readonly #store: EditStore | undefined;
  /** Edits stored against an older version of the author's files, until the reader chooses. */
  #stale: StoredEdits | undefined;
  #active = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Opens the editor on the host's visible files, with the highlighting their languages need and the reader's stored edits. */
  static async open(options: EditorOptions): Promise<EditorSession> {
    const children = fileChildren(options.host).filter((child) => child.visible);
    const languages = await Promise.all(children.map((child) => languageFor(child.path)));
    return new EditorSession(options, children.map((child, i) => ({ path: child.path, text: child.text, language: languages[i]! })));
  }

  private constructor(options: EditorOptions, files: Array<{ path: string; text: string; language: Extension }>) {
    this.#options = options;
    this.#store = options.storageKey === undefined ? undefined : new EditStore(options.storageKey);
    const stored = this.#store?.load();
    const originals = new Map(files.map((file) => [file.path, file.text]));
    const applies = stored !== undefined && editsApply(stored, originals);
    if (stored && !applies) this.#stale = stored;
    this.#files = files.map(({ path, text, language }) => ({
      path,
      original: text,
      language,
      state: this.#state(path, applies ? stored.files[path]?.text ?? text : text, language),
    }));

    this.element = document.createElement('div');
    this.element.className = 'editor';
    const style = document.createElement('style');
    style.textContent = editorStyles;
    this.#bar = document.createElement('div');
    const panel = document.createElement('div');
    panel.className = 'editor-panel';
    panel.id = 'editor-panel';
    this.element.append(style, this.#bar, panel);
    if (this.#files.length > 1) {
      panel.setAttribute('role', 'tabpanel');
      panel.setAttribute('aria-labelledby', 'editor-tab-0');
    }
    const root = options.host.shadowRoot ?? undefined;
    if (this.#files[0]) this.#view = new EditorView({ state: this.#files[0].state, parent: panel, ...(root ? { root } : {}) });
    this.#render();
  }

  /** The reader's edits: each changed file's path and text. */
  get edits(): Record<string, string> {
    const edits: Record<string, string> = {};
    this.#files.forEach((file, i) => {
      const text = this.#text(i);
      if (text !== file.original) edits[file.path] = text;
    });
    return edits;
  }

  /** Focuses the code. */
  focus(): void {
    this.#view?.focus();
  }

  /** Puts the author's files back in the editor and forgets the stored edits. */
  reset(): void {
    this.#stale = undefined;
    this.#files.forEach((file, i) => {
      file.state = this.#state(file.path, file.original, file.language);
      if (i === this.#active) this.#view?.setState(file.state);
    });
    this.#store?.clear();
    this.#render();
  }

  #state(path: string, text: string, language: Extension): EditorState {
    const { readonly } = this.#options;
    return EditorState.create({
      doc: text,
      extensions: [
        language,
        history(),
        drawSelection(),
        indentOnInput(),
        bracketMatching(),
        syntaxHighlighting(classHighlighter),
        keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
        EditorState.readOnly.of(readonly),
        EditorView.editable.of(!readonly),
        // Read-only code still takes the focus, so keyboard users can scroll and select it.
        EditorView.contentAttributes.of(readonly ? { 'aria-label': `${path} (read-only)`, tabindex: '0' } : { 'aria-label': `Edit ${path}` }),
        editorTheme,
        EditorView.updateListener.of((update) => {
          if (update.docChanged) this.#changed();
        }),
      ],
    });
  }

  #text(index: number): string {
    return (index === this.#active && this.#view ? this.#view.state : this.#files[index]!.state).doc.toString();
  }

  #changed(): void {
    this.#stale = undefined;
    this.#save();
    this.#render();
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#options.onEdit(), WRITE_DELAY_MS);
  }

  #save(): void {
    const files: StoredEdits['files'] = {};
    const edits = this.edits;
    for (const file of this.#files) if (file.path in edits) files[file.path] = { text: edits[file.path]!, base: file.original };
    this.#store?.save({ files });
  }

  /** Shows file `index`, keeping the state (text, selection, history) of the one it replaces. */
  #select(index: number): void {
    const view = this.#view;
    if (!view || index === this.#active) return;
    this.#files[this.#active]!.state = view.state;
    this.#active = index;
    view.setState(this.#files[index]!.state);
    this.element.querySelector('#editor-panel')?.setAttribute('aria-labelledby', `editor-tab-${index}`);
    this.#render();
  }

  /** Applies stored edits made to an older version of the files, as the reader chose. */
  #useStale(): void {
    const stale = this.#stale;
    this.#stale = undefined;
    if (!stale) return;
    this.#files.forEach((file, i) => {
      const edit = stale.files[file.path];
      if (!edit) return;
      file.state = this.#state(file.path, edit.text, file.language);
      if (i === this.#active) this.#view?.setState(file.state);
    });
    this.#save();
    this.#render();
    this.#options.onEdit();
  }

  #dropStale(): void {
    this.#stale = undefined;
    this.#store?.clear();
    this.#render();
  }

  #onTabKey(event: KeyboardEvent, index: number): void {
    const next = nextTab(event.key, index, this.#files.length);
    if (next === undefined) return;
    event.preventDefault();
    this.#select(next);
    this.#bar.querySelector<HTMLElement>(`#editor-tab-${next}`)?.focus();
  }

  #render(): void {
    const edits = this.edits;
    const edited = Object.keys(edits).length > 0;
    const tabs = this.#files.length > 1;
    const name = (file: OpenFile) => html`${file.path}${file.path in edits ? html`<span class="dot" aria-hidden="true"> •</span><span class="sr-only"> (edited)</span>` : nothing}`;
    const template: TemplateResult = html`
      <div class="editor-bar" part="editor-bar">
        ${tabs
          ? html`<div role="tablist" aria-label="Files" class="tabs">
              ${this.#files.map((file, i) => html`<button type="button" role="tab" part="tab" id=${`editor-tab-${i}`}
                aria-selected=${i === this.#active ? 'true' : 'false'} aria-controls="editor-panel" tabindex=${i === this.#active ? 0 : -1}
                @click=${() => this.#select(i)} @keydown=${(event: KeyboardEvent) => this.#onTabKey(event, i)}>${name(file)}</button>`)}
            </div>`
          : html`<span class="file">${this.#files[0] ? name(this.#files[0]) : nothing}</span>`}
        ${this.#options.readonly ? html`<span class="badge">read-only</span>` : nothing}
        ${edited ? html`<span class="badge edited" part="edited">edited</span>` : nothing}
      </div>
      ${this.#stale
        ? html`<div class="stale" part="stale-notice" role="alert">
            <span>This example changed since you edited it. Your edits are kept, not applied.</span>
            <button type="button" part="button" @click=${() => this.#useStale()}>Use my edits</button>
            <button type="button" part="button" @click=${() => this.#dropStale()}>Use the new version</button>
          </div>`
        : nothing}
    `;
    render(template, this.#bar);
  }
}
