// The canonical layout of a .vmbus file, so scenario diffs stay small: two-space indentation by
// brace depth, single spaces between words, lower-case hex and GUIDs, one blank line between
// top-level blocks, no trailing whitespace, one final newline. Works line by line on tokens, so
// it is safe on files with errors (it never moves a word to another line).
import { lex, type Token } from './lexer';

const INDENT = '  ';

function renderToken(t: Token): string {
  switch (t.kind) {
    case 'guid':
      return t.text.startsWith('{') ? `{${t.str}}` : (t.str ?? t.text);
    case 'number':
      return /^0[xX]/.test(t.text) ? '0x' + t.text.slice(2).toLowerCase() : t.text;
    default:
      return t.text;
  }
}

function renderLine(tokens: Token[]): string {
  let out = '';
  let prev: Token | undefined;
  for (const t of tokens) {
    const s = renderToken(t);
    if (prev) {
      const tight =
        t.kind === 'rparen' || t.kind === 'comma' || prev.kind === 'lparen' ||
        t.kind === 'equals' || prev.kind === 'equals' ||
        (t.kind === 'lparen' && prev.kind === 'ident');
      out += tight ? s : ' ' + s;
    } else out += s;
    prev = t;
  }
  return out;
}

export function formatScenario(text: string): string {
  const tokens = lex(text);
  const lines: Token[][] = [[]];
  for (const t of tokens) {
    if (t.kind === 'newline') lines.push([]);
    else lines[lines.length - 1].push(t);
  }
  // lex() always ends with a newline token, so the last group is empty.
  lines.pop();
  const out: string[] = [];
  let depth = 0;
  let lastTopClosed = false;
  for (const toks of lines) {
    if (toks.length === 0) {
      if (out.length && out[out.length - 1] !== '' && !out[out.length - 1].trimEnd().endsWith('{')) out.push('');
      continue;
    }
    const leadingCloses = toks.findIndex((t) => t.kind !== 'rbrace');
    const closesFirst = leadingCloses === -1 ? toks.length : leadingCloses;
    const lineDepth = Math.max(0, depth - closesFirst);
    // No blank line just before a closing brace.
    if (closesFirst > 0) while (out.length && out[out.length - 1] === '') out.pop();
    const opensBlock = toks.some((t) => t.kind === 'lbrace');
    const isComment = toks[0].kind === 'comment';
    if (lineDepth === 0 && out.length && out[out.length - 1] !== '') {
      const prevLine = out[out.length - 1];
      const prevIsTopComment = prevLine.startsWith('#');
      if ((opensBlock && !prevIsTopComment) || (lastTopClosed && closesFirst === 0)) out.push('');
    }
    out.push(INDENT.repeat(lineDepth) + renderLine(toks));
    for (const t of toks) {
      if (t.kind === 'lbrace') depth++;
      else if (t.kind === 'rbrace') depth = Math.max(0, depth - 1);
    }
    lastTopClosed = depth === 0 && toks.some((t) => t.kind === 'rbrace') && !isComment;
  }
  while (out.length && out[out.length - 1] === '') out.pop();
  while (out.length && out[0] === '') out.shift();
  return out.length ? out.join('\n') + '\n' : '';
}
