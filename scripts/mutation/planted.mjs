// Spans of a source file that belong to the planted-bug catalogue: every `bugOn(...)` /
// `storeBugOn(...)` test, every flag read that holds such a test's result, and the code that
// only runs when the bug is on. A mutant there either switches a planted bug on (already measured
// by the planted-bug hunts, reports/hunts.md) or changes code an honest run never executes, so
// the sample leaves them out. Spans are [start, end) character offsets into the file's text.
import ts from 'typescript';

const BUG_TESTS = new Set(['bugOn', 'storeBugOn']);

/** Bound: a source file of the store is far below this many nodes; a loop past it is a bug here. */
const NODES_MAX = 1_000_000;

/**
 * @param {string} fileName for the parser's diagnostics only
 * @param {string} text the file's source
 * @returns {{ start: number, end: number, why: string }[]}
 */
export function plantedBugSpans(fileName, text) {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const flagNames = collectFlagNames(sf);
  const spans = [];
  let nodes = 0;

  /** Is `node` a bug test: a catalogue call, or a read of a variable/field that holds one? */
  const isBugTest = (node) => {
    if (ts.isParenthesizedExpression(node)) return isBugTest(node.expression);
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression)) return BUG_TESTS.has(node.expression.text);
    if (ts.isIdentifier(node)) return flagNames.has(node.text);
    if (ts.isPropertyAccessExpression(node) && node.expression.kind === ts.SyntaxKind.ThisKeyword) return flagNames.has(node.name.text);
    return false;
  };
  /** Is `node` true only when a bug is on: a bug test, or an `&&` chain with one as a conjunct? */
  const onlyWithBug = (node) => {
    if (ts.isParenthesizedExpression(node)) return onlyWithBug(node.expression);
    if (isBugTest(node)) return true;
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken) {
      return onlyWithBug(node.left) || onlyWithBug(node.right);
    }
    return false;
  };
  const add = (node, why) => spans.push({ start: node.getStart(sf), end: node.getEnd(), why });

  const visit = (node) => {
    nodes += 1;
    if (nodes > NODES_MAX) throw new Error(`${fileName}: more than ${NODES_MAX} syntax nodes`);
    if (isBugTest(node)) add(node, 'bug test');
    // `bug && x`: x is evaluated only with the bug on.
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken && onlyWithBug(node.left)) add(node.right, 'runs only with a planted bug on');
    if (ts.isIfStatement(node) && onlyWithBug(node.expression)) add(node.thenStatement, 'runs only with a planted bug on');
    if (ts.isConditionalExpression(node) && onlyWithBug(node.condition)) add(node.whenTrue, 'runs only with a planted bug on');
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return spans;
}

/** Names of variables and `this.` fields initialised or assigned straight from a bug test. */
function collectFlagNames(sf) {
  const names = new Set();
  const isCatalogueCall = (node) => {
    while (ts.isParenthesizedExpression(node)) node = node.expression;
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression)) return BUG_TESTS.has(node.expression.text);
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken) return isCatalogueCall(node.left);
    return false;
  };
  const visit = (node) => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer !== undefined && isCatalogueCall(node.initializer)) {
      names.add(node.name.text);
    }
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken && isCatalogueCall(node.right)) {
      const target = node.left;
      if (ts.isPropertyAccessExpression(target) && target.expression.kind === ts.SyntaxKind.ThisKeyword) names.add(target.name.text);
      if (ts.isIdentifier(target)) names.add(target.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return names;
}
