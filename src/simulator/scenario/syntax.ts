// The generic shape of a scenario file: statements (one line of words each) that may own a
// { block } of further statements. Brace errors are found here; what the words mean is decided
// by the parser. Recovery is simple and total: a statement ends at a newline, '{' or '}'.
import { lex, type Token } from './lexer';

export interface Range {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface Block {
  open: Token;
  /** Missing when the file ends before the block is closed. */
  close?: Token;
  body: Statement[];
}

export interface Statement {
  /** The words of the statement (no comments, no braces; error tokens included). Never empty. */
  words: Token[];
  block?: Block;
  /** From the first word to the end of the block (or the last word). */
  range: Range;
}

export interface SyntaxProblem {
  message: string;
  range: Range;
  code: string;
}

export interface SyntaxTree {
  tokens: Token[];
  statements: Statement[];
  problems: SyntaxProblem[];
}

export function tokenRange(t: Token): Range {
  return { line: t.line, column: t.col, endLine: t.line, endColumn: t.endCol };
}

export function spanRange(a: Token, b: Token): Range {
  return { line: a.line, column: a.col, endLine: b.line, endColumn: b.endCol };
}

export function parseSyntax(text: string): SyntaxTree {
  const tokens = lex(text);
  const problems: SyntaxProblem[] = [];
  const root: Statement[] = [];
  const stack: { block: Block; owner: Statement }[] = [];
  // Words collect in one scratch array; each statement keeps an exact-size copy (a growing array
  // would hold ~17 slots for a 3-word statement, and the tree lives as long as the document).
  const current: Token[] = [];
  const body = (): Statement[] => (stack.length ? stack[stack.length - 1].block.body : root);

  const flush = (): Statement | undefined => {
    if (!current.length) return undefined;
    const words = current.slice();
    // block is part of the literal so every statement has one shape.
    const st: Statement = { words, block: undefined, range: spanRange(words[0], words[words.length - 1]) };
    body().push(st);
    current.length = 0;
    return st;
  };

  // Indexed loops here and in the parser: a for-of that runs once per parse over thousands of
  // items allocates an iterator result per item until the optimizer takes it over.
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    switch (t.kind) {
      case 'comment':
        break;
      case 'newline':
        flush();
        break;
      case 'lbrace': {
        const st = flush();
        if (!st) {
          problems.push({ message: "'{' must follow a statement such as 'platform' or 'device NAME CLASS'", range: tokenRange(t), code: 'syntax.brace' });
          // Still open a block so the matching '}' pairs up; its body is dropped.
          const orphan: Statement = { words: [t], block: { open: t, close: undefined, body: [] }, range: tokenRange(t) };
          stack.push({ block: orphan.block!, owner: orphan });
          break;
        }
        if (st.block) break; // cannot happen: a fresh statement has no block
        st.block = { open: t, close: undefined, body: [] };
        stack.push({ block: st.block, owner: st });
        break;
      }
      case 'rbrace': {
        flush();
        const top = stack.pop();
        if (!top) {
          problems.push({ message: "unexpected '}': no block is open here", range: tokenRange(t), code: 'syntax.brace' });
          break;
        }
        top.block.close = t;
        top.owner.range = { ...top.owner.range, endLine: t.line, endColumn: t.endCol };
        break;
      }
      case 'error':
        problems.push({ message: t.error ?? `unexpected '${t.text}'`, range: tokenRange(t), code: 'syntax.token' });
        current.push(t);
        break;
      case 'string':
        if (t.error) problems.push({ message: t.error, range: tokenRange(t), code: 'syntax.string' });
        current.push(t);
        break;
      default:
        current.push(t);
    }
  }
  flush();
  while (stack.length) {
    const top = stack.pop()!;
    problems.push({ message: `this block is not closed: add '}'`, range: tokenRange(top.block.open), code: 'syntax.unclosed' });
    const last = tokens[tokens.length - 1];
    top.owner.range = { ...top.owner.range, endLine: last.line, endColumn: last.endCol };
  }
  return { tokens, statements: root, problems };
}
