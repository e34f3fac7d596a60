// `npm run analyze`: writes custom-elements.json (referenced by package.json's
// "customElements") from the element's doc comments.
export default {
  globs: ['src/element/code-sandbox.ts', 'src/element/events/*.ts', 'src/define.ts'],
  outdir: '.',
  litelement: true,
  plugins: [
    {
      name: 'drop-private-members-and-unnamed-events',
      packageLinkPhase({ customElementsManifest }) {
        for (const module of customElementsManifest.modules) {
          for (const declaration of module.declarations ?? []) {
            if (declaration.members) declaration.members = declaration.members.filter((m) => m.privacy !== 'private' && !m.name.startsWith('#'));
            // dispatchEvent(new OutputEvent(...)) is found without a name; the @fires tags name every event.
            if (declaration.events) declaration.events = declaration.events.filter((event) => event.name);
          }
        }
      },
    },
  ],
};
