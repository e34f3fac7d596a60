/** The base of every `<code-sandbox>` event: bubbles, composed (crosses shadow roots), typed `detail`. */
export abstract class SandboxEvent<Detail extends object> extends Event {
  /** What happened, as plain data. */
  readonly detail: Readonly<Detail>;

  constructor(type: string, detail: Detail) {
    super(type, { bubbles: true, composed: true });
    this.detail = detail;
  }
}
