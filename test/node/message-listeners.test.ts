/**
 * Every listener for window messages in src/ checks where a message came from.
 * Any frame on the page (a preview, on an origin of its own) can post anything
 * to the page; a listener that trusts `event.data` alone would let it drive the
 * element. The check is static, with the TypeScript compiler: it finds
 * `addEventListener('message', …)` and `onmessage = …` on anything typed as a
 * window, and requires the handler to compare its event's `origin` (or test it
 * with a call, such as `if (allowed.has(event.origin))`). A listener whose code
 * it cannot see (a handler passed in from elsewhere) fails too.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { expect } from 'chai';
import ts from 'typescript';

const ROOT = join(import.meta.dirname, '../..');
const SRC = join(ROOT, 'src');

/** `file:line: why` for each window message listener in `files` that does not check its event's origin. */
function uncheckedMessageListeners(program: ts.Program, files: readonly string[]): string[] {
  const checker = program.getTypeChecker();
  const problems: string[] = [];

  const isWindow = (node: ts.Expression | undefined): boolean => {
    if (!node) return true; // a bare addEventListener(…) or onmessage is the global's
    const type = checker.getNonNullableType(checker.getTypeAtLocation(node));
    const parts = type.isUnionOrIntersection() ? type.types : [type];
    return parts.some((part) => part.symbol?.name === 'Window');
  };

  const isFunction = (node: ts.Node | undefined): node is ts.FunctionLikeDeclaration =>
    !!node && (ts.isArrowFunction(node) || ts.isFunctionExpression(node) || ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node));

  /** The function a handler expression stands for: inline, or the declaration an identifier or `this.#x` names. */
  const handlerFunction = (handler: ts.Expression): ts.FunctionLikeDeclaration | undefined => {
    if (isFunction(handler)) return handler;
    const declaration = checker.getSymbolAtLocation(handler)?.valueDeclaration;
    if (isFunction(declaration)) return declaration;
    const initializer = declaration && (ts.isVariableDeclaration(declaration) || ts.isPropertyDeclaration(declaration)) ? declaration.initializer : undefined;
    return isFunction(initializer) ? initializer : undefined;
  };

  /** Whether `node`'s value decides a branch: an `if` or `?:` condition, alone or under `!`, `&&`, `||`, parentheses. */
  const isCondition = (node: ts.Node): boolean => {
    const { parent } = node;
    if (ts.isParenthesizedExpression(parent) || (ts.isPrefixUnaryExpression(parent) && parent.operator === ts.SyntaxKind.ExclamationToken)
      || (ts.isBinaryExpression(parent) && [ts.SyntaxKind.AmpersandAmpersandToken, ts.SyntaxKind.BarBarToken].includes(parent.operatorToken.kind))) return isCondition(parent);
    return (ts.isIfStatement(parent) && parent.expression === node) || (ts.isConditionalExpression(parent) && parent.condition === node);
  };

  /** Whether the handler compares its event's origin (`event.origin !== x`, or `({ origin }) => …`), or tests it with a call (`if (allowed.has(event.origin))`). */
  const checksOrigin = (fn: ts.FunctionLikeDeclaration): boolean => {
    const parameter = fn.parameters[0];
    if (!parameter || !fn.body) return false;
    const event = ts.isIdentifier(parameter.name) ? checker.getSymbolAtLocation(parameter.name) : undefined;
    const destructured = ts.isObjectBindingPattern(parameter.name)
      ? parameter.name.elements.find((element) => ((element.propertyName ?? element.name) as ts.Identifier).text === 'origin')
      : undefined;
    const origin = destructured && checker.getSymbolAtLocation(destructured.name);
    const isOrigin = (node: ts.Node): boolean =>
      (ts.isPropertyAccessExpression(node) && node.name.text === 'origin' && event !== undefined && checker.getSymbolAtLocation(node.expression) === event)
      || (ts.isIdentifier(node) && origin !== undefined && checker.getSymbolAtLocation(node) === origin);
    const equality = [ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken, ts.SyntaxKind.EqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsToken];
    const visit = (node: ts.Node): boolean => {
      if (isOrigin(node)) {
        const { parent } = node;
        if (ts.isBinaryExpression(parent) && equality.includes(parent.operatorToken.kind)) return true;
        if (ts.isCallExpression(parent) && parent.arguments.includes(node as ts.Expression) && isCondition(parent)) return true;
      }
      return ts.forEachChild(node, visit) ?? false;
    };
    return visit(fn.body);
  };

  const check = (source: ts.SourceFile, node: ts.Node, handler: ts.Expression | undefined): void => {
    const fn = handler && handlerFunction(handler);
    const why = !fn ? 'a window message listener whose code this test cannot see' : checksOrigin(fn) ? undefined : 'a window message listener that does not check event.origin';
    if (!why) return;
    const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
    problems.push(`${relative(ROOT, source.fileName)}:${line + 1}: ${why} (compare it with the origin you expect before reading event.data)`);
  };

  for (const file of files) {
    const source = program.getSourceFile(file);
    if (!source) throw new Error(`${file} is not in the program`);
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node)) {
        const callee = node.expression;
        const method = ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isIdentifier(callee) ? callee.text : undefined;
        const [type, handler] = node.arguments;
        if (method === 'addEventListener' && type && ts.isStringLiteralLike(type) && type.text === 'message'
          && isWindow(ts.isPropertyAccessExpression(callee) ? callee.expression : undefined)) check(source, node, handler);
      }
      if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
        const target = node.left;
        const named = ts.isPropertyAccessExpression(target) ? target.name.text : ts.isIdentifier(target) ? target.text : undefined;
        if (named === 'onmessage' && isWindow(ts.isPropertyAccessExpression(target) ? target.expression : undefined)) check(source, node, node.right);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return problems;
}

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => /\.ts$/.test(name) && !name.endsWith('.d.ts')).map((name) => join(dir, name));

/** Listeners the check must flag (`bad…`) and must accept (`good…`, and messages that do not come from other windows). */
const SAMPLES = `
declare const socket: WebSocket;
declare const port: MessagePort;
declare const element: HTMLElement;
export function badInline() { window.addEventListener('message', (event) => console.log(event.data)); }
export function badGlobal() { addEventListener('message', (event) => console.log(event.data)); }
export function badAssigned() { window.onmessage = (event) => console.log(event.data); }
export function badAlias() { const view = element.ownerDocument.defaultView; view?.addEventListener('message', (event) => console.log(event.data)); }
export function badOriginRead() { self.addEventListener('message', (event) => console.log(event.origin, event.data)); }
export function badUnseen(handler: (event: MessageEvent) => void) { window.addEventListener('message', handler); }
export class BadField { readonly #onMessage = (event: MessageEvent) => console.log(event.data); listen() { window.addEventListener('message', this.#onMessage); } }
export function goodInline(expected: string) { window.addEventListener('message', (event) => { if (event.origin !== expected) return; console.log(event.data); }); }
export function goodDestructured(expected: string) { window.addEventListener('message', ({ origin, data }) => { if (origin === expected) console.log(data); }); }
export function goodNamed(allowed: Set<string>) {
  function onMessage(event: MessageEvent) { if (!allowed.has(event.origin)) return; console.log(event.data); }
  window.addEventListener('message', onMessage);
}
export class GoodField { readonly #onMessage = (event: MessageEvent) => { if (event.origin === location.origin) console.log(event.data); }; listen() { window.addEventListener('message', this.#onMessage); } }
export function notWindows() {
  socket.onmessage = (event) => console.log(event.data);
  port.addEventListener('message', (event) => console.log(event.data));
  window.addEventListener('resize', () => console.log('resize'));
}
`;

describe('window message listeners', () => {
  let program: ts.Program;
  let samples: string;
  let dir: string;
  before(function () {
    this.timeout(60_000);
    dir = mkdtempSync(join(tmpdir(), 'message-listeners-'));
    samples = join(dir, 'samples.ts');
    writeFileSync(samples, SAMPLES);
    const { config } = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile);
    const { options } = ts.parseJsonConfigFileContent(config, ts.sys, ROOT);
    program = ts.createProgram([...sourceFiles(SRC), samples], { ...options, types: ['node'] });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the check finds listeners that trust any sender, and accepts those that check the origin', () => {
    const flagged = uncheckedMessageListeners(program, [samples]).map((problem) => SAMPLES.split('\n')[Number(/:(\d+):/.exec(problem)![1]) - 1]);
    expect(flagged.map((line) => /^export (?:function|class) (\w+)/.exec(line!)?.[1])).to.deep.equal([
      'badInline', 'badGlobal', 'badAssigned', 'badAlias', 'badOriginRead', 'badUnseen', 'BadField',
    ]);
  });

  it('every window message listener in src/ checks event.origin', () => {
    expect(uncheckedMessageListeners(program, sourceFiles(SRC))).to.deep.equal([]);
  });
});
