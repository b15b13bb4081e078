// Editor services computed without the VS Code API (so they are unit-tested in Node): completion,
// hover, folding ranges, definitions and CodeLens positions. src/extension/language adapts them.
import type { Token } from './lexer';
import { guidLength, lex } from './lexer';
import type { Range } from './syntax';
import type { ScenarioAst, ScenarioSymbol, TokenRole } from './types';
import {
  CHANNEL_STATES, CHN_FLAG_WORDS, DESIGNS, FEATURE_WORDS, ISOLATIONS, KEYWORDS, MESSAGE_WORDS, PARTIES, SECTION_KEYWORDS, TOP_KEYWORDS,
  VERSIONS, chnFlagByName, classWords, faultById, faultWords, featureByName, lookupClassGuid, lookupClassName, messageByName, versionByName,
} from './vocab';
import { versionName, versionString } from '../protocol/constants';
import { hexNum } from '../protocol/hex';

export type CompletionKind = 'keyword' | 'class' | 'flag' | 'feature' | 'fault' | 'message' | 'value' | 'device' | 'version' | 'label';

export interface CompletionEntry {
  label: string;
  kind: CompletionKind;
  detail?: string;
  documentation?: string;
  insertText?: string;
  sortText?: string;
}


/**
 * What completion needs from the rest of the file, in one pass over the characters that keeps
 * no tokens (completion runs on every trigger, on the whole text; lexing it all made a request
 * cost as much as a full re-check, bench/scenario/completion.ts). Word boundaries follow the
 * lexer: whitespace, newlines, comments, strings, braces (a braced GUID is a word), ( ) , =.
 *   block: the first word of the statement owning the innermost '{' opened before `line`
 *          ('top' outside any block); only the text before `line` is read for it.
 *   names: when asked, the device names and stop labels declared anywhere in the file.
 */
function scanContext(text: string, line: number, names: boolean): { block: string; deviceNames: string[]; stopLabels: string[] } {
  const stack: string[] = [];
  const deviceNames: string[] = [];
  const stopLabels: string[] = [];
  // The first two words of the current statement, as [start, end) offsets (-1: none yet).
  let s0 = -1, e0 = -1, s1 = -1, e1 = -1;
  const is = (s: number, e: number, w: string): boolean => e - s === w.length && text.startsWith(w, s);
  const word = (s: number, e: number): void => {
    if (s0 < 0) { s0 = s; e0 = e; } else if (s1 < 0) { s1 = s; e1 = e; }
  };
  const endStatement = (atNewline: boolean): void => {
    if (names && s1 >= 0) {
      if (is(s0, e0, 'device')) deviceNames.push(text.slice(s1, e1));
      else if (atNewline && is(s0, e0, 'stop') && !is(s1, e1, 'at')) stopLabels.push(text.slice(s1, e1));
    }
    s0 = e0 = s1 = e1 = -1;
  };
  const n = text.length;
  let ln = 0;
  let i = 0;
  while (i < n) {
    if (ln >= line && !names) break;
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) {
      endStatement(true);
      i += c === 13 && text.charCodeAt(i + 1) === 10 ? 2 : 1;
      ln++;
      continue;
    }
    if (c === 32 || c === 9 || c === 0xfeff) { i++; continue; }
    if (c === 35 /* # */) {
      while (i < n && text.charCodeAt(i) !== 10 && text.charCodeAt(i) !== 13) i++;
      continue;
    }
    if (c === 34 || c === 39) {
      // A string (single line, \ escapes) is one word, quotes included.
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === 10 || d === 13) break;
        if (d === c) { j++; break; }
        j += d === 92 && j + 1 < n && text.charCodeAt(j + 1) !== 10 && text.charCodeAt(j + 1) !== 13 ? 2 : 1;
      }
      word(i, j);
      i = j;
      continue;
    }
    if (c === 123 /* { */) {
      const g = guidLength(text, i + 1);
      if (g && text.charCodeAt(i + 1 + g) === 125) { word(i, i + g + 2); i += g + 2; continue; }
      if (ln < line) stack.push(s0 >= 0 ? text.slice(s0, e0) : '');
      endStatement(false);
      i++;
      continue;
    }
    if (c === 125 /* } */) {
      if (ln < line) stack.pop();
      endStatement(false);
      i++;
      continue;
    }
    if (c === 40 || c === 41 || c === 44 || c === 61) { word(i, i + 1); i++; continue; }
    let j = i + 1;
    while (j < n) {
      const d = text.charCodeAt(j);
      if (d === 32 || d === 9 || d === 10 || d === 13 || d === 35 || d === 34 || d === 39 || d === 123 || d === 125 || d === 40 || d === 41 || d === 44 || d === 61 || d === 0xfeff) break;
      j++;
    }
    word(i, j);
    i = j;
  }
  endStatement(true);
  return { block: stack.length ? stack[stack.length - 1] : 'top', deviceNames, stopLabels };
}

/** The text of one line (0-based; '' past the end). Lines end with \n, \r\n or \r, as in the lexer. */
function lineText(text: string, line: number): string {
  const n = text.length;
  let i = 0;
  for (let l = 0; l < line; l++) {
    while (i < n && text.charCodeAt(i) !== 10 && text.charCodeAt(i) !== 13) i++;
    if (i >= n) return '';
    i += text.charCodeAt(i) === 13 && text.charCodeAt(i + 1) === 10 ? 2 : 1;
  }
  let j = i;
  while (j < n && text.charCodeAt(j) !== 10 && text.charCodeAt(j) !== 13) j++;
  return text.slice(i, j);
}

const FAULT_CLAUSES = ['on', 'nth', 'at', 'relid', 'device'];

export function completeAt(text: string, line: number, character: number): CompletionEntry[] {
  // Only the cursor's line is lexed; the rest of the file is scanned for what the answer needs.
  const tokens = lex(lineText(text, line));
  // Words on this line before the cursor (a word the cursor touches is being typed: left out).
  const lineToks = tokens.filter((t) => t.kind !== 'newline' && t.kind !== 'comment');
  const words = lineToks.filter((t) => t.endCol < character || (t.endCol === character && (t.kind === 'lbrace' || t.kind === 'rbrace' || t.kind === 'equals' || t.kind === 'lparen' || t.kind === 'comma')));
  const inComment = tokens.some((t) => t.kind === 'comment' && t.col < character);
  if (inComment) return [];
  const ws = words.filter((t) => t.kind !== 'lbrace' && t.kind !== 'rbrace');
  const block = scanContext(text, line, false).block;
  let named: ReturnType<typeof scanContext> | undefined;
  const ctx = { get deviceNames() { return (named ??= scanContext(text, line, true)).deviceNames; }, get stopLabels() { return (named ??= scanContext(text, line, true)).stopLabels; } };
  const devices = (): CompletionEntry[] => ctx.deviceNames.map((n) => ({ label: n, kind: 'device', detail: 'device' }));
  const kws = (list: string[], context: string): CompletionEntry[] =>
    list.map((k) => {
      const d = KEYWORDS[k]?.find((x) => x.context === context) ?? KEYWORDS[k]?.[0];
      return { label: k, kind: 'keyword', detail: d?.syntax, documentation: d?.doc };
    });
  const classes = (): CompletionEntry[] =>
    classWords().map((c) => ({
      label: c.name, kind: 'class', detail: c.guid ? `{${c.guid}}` : 'service GUID offer',
      documentation: `${c.description}${c.allowedInIsolated ? '' : ' — not allowed in isolated VMs'}`,
    }));
  const flags = (): CompletionEntry[] =>
    CHN_FLAG_WORDS.map((f) => ({ label: f.name, kind: 'flag', detail: `${hexNum(f.value, 4)} ${f.linuxName ?? ''}`, documentation: f.doc }));
  const features = (): CompletionEntry[] =>
    FEATURE_WORDS.map((f) => ({ label: f.name, kind: 'feature', detail: `${hexNum(f.value, 2)}${f.linuxName ? ' ' + f.linuxName : ''}`, documentation: f.doc }));
  const messages = (): CompletionEntry[] =>
    MESSAGE_WORDS.filter((m) => !/^CHANNELMSG_(INVALID|1[89]|20)$/.test(m.name)).map((m) => ({ label: m.name, kind: 'message', detail: `= ${m.value}`, documentation: m.doc }));
  const versions = (): CompletionEntry[] =>
    [...VERSIONS].reverse().map((v, i) => ({ label: `${v.major}.${v.minor}`, kind: 'version', detail: `${hexNum(v.value, 8)} ${v.name}`, documentation: `${v.openVmmName}: ${v.host}`, sortText: String(i).padStart(2, '0') }));
  const faults = (): CompletionEntry[] =>
    faultWords().map((f) => ({ label: f.id, kind: 'fault', detail: f.hostile ? 'hostile host' : 'fault', documentation: f.description }));
  const values = (list: readonly string[], doc?: Record<string, string>): CompletionEntry[] => list.map((v) => ({ label: v, kind: 'value', documentation: doc?.[v] }));
  const yesno = (): CompletionEntry[] => values(['yes', 'no']);

  const last = ws[ws.length - 1];
  const first = ws[0];
  // Start of a statement.
  if (!first) {
    if (block === 'top') return kws(TOP_KEYWORDS, 'top');
    if (block === 'faults') return faults();
    if (block in SECTION_KEYWORDS) return kws(SECTION_KEYWORDS[block], block);
    return [];
  }
  const lw = last.text;
  // Value after a keyword.
  switch (lw) {
    case 'isolation': return values(ISOLATIONS);
    case 'design': return values(DESIGNS);
    case 'hosted_by': return values(['host', 'paravisor']);
    case 'auto_eoi': case 'present': case 'confidential_vmbus': case 'open': case 'mnf': return yesno();
    case 'max_version': case 'version': return versions();
    case 'class': return classes();
    case 'include': return [];
    case 'message': return messages();
    case 'rescind': case 'close': case 'channel': return devices();
    case 'offer': return block === 'expect' || first.text === 'expect' ? devices() : [];
    case 'after': return [...ctx.stopLabels.map((l): CompletionEntry => ({ label: l, kind: 'label' })), ...values(['phase', 'message'])];
    case 'invariants': return values(['hold', 'broken']);
    case 'monitor': return values(['none']);
    case 'instance': return values(['auto']);
    case 'paravisor': if (first.text === 'paravisor') return values(['none']); break;
  }
  if (first.text === 'device' && ws.length === 2) return classes();
  if (first.text === 'flags' || (ws.some((t) => t.text === 'flags'))) return flags();
  if (first.text === 'features') return features();
  if (first.text === 'versions') return versions();
  if (lw === 'on') {
    if (ws.some((t) => t.text === 'message')) return values(['paravisor', 'hypervisor']);
    return messages();
  }
  if (lw === 'device' && ws.length > 1) return devices();
  if ((lw === 'from' || lw === 'to') && ws.some((t) => t.text === 'message')) return values(PARTIES);
  if (first.text === 'fault' && ws.length === 1) return faults();
  const faultLine = first.text === 'fault' || block === 'faults';
  if (faultLine) {
    const f = faultById(first.text === 'fault' ? ws[1]?.text ?? '' : first.text);
    const params = (f?.paramDocs ?? []).map((p): CompletionEntry => ({ label: `${p.name}=`, kind: 'keyword', detail: 'parameter', documentation: p.description, insertText: `${p.name}=` }));
    return [...kws(FAULT_CLAUSES, 'clause'), ...params];
  }
  const expectLine = block === 'expect' || first.text === 'expect';
  if (expectLine) {
    const e = first.text === 'expect' ? ws.slice(1) : ws;
    if (e.length === 0) return kws(SECTION_KEYWORDS.expect, 'expect');
    if ((e[0].text === 'no' || e[0].text === 'not') && e.length === 1) return kws(['fallback', 'confidential', 'log', 'message'], 'expect');
    if (e[0].text === 'offer' && e.length === 2) return values(['accepted', 'rejected']);
    if (e[0].text === 'offer' && e.length === 3 && e[2].text === 'accepted') return [{ label: 'with confidential ring', kind: 'value' }, { label: 'with confidential ring and confidential external', kind: 'value' }, { label: 'with shared ring', kind: 'value' }];
    if (e[0].text === 'channel' && e.length === 2) return values(CHANNEL_STATES);
    if (e[0].text === 'page' && e.length >= 2) return values(['encrypted', 'host-visible']);
    if (e[0].text === 'message' || e[0].text === 'no') return kws(['on', 'from', 'to'], 'clause');
  }
  if (first.text === 'stop' && ws.length === 2) return values(['at']);
  if (lw === 'at' && first.text === 'stop') return values(['phase', 'message', 'device']);
  if (first.text === 'stop' && ws.length >= 4) return values(['phase', 'message', 'device']);
  return [];
}

// ---------------------------------------------------------------- hover

export function tokenAt(ast: ScenarioAst, line: number, character: number): Token | undefined {
  const toks = ast.tree.tokens;
  // Binary search for the first token on the line.
  let lo = 0;
  let hi = toks.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (toks[mid].line < line) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < toks.length && toks[i].line === line; i++) {
    const t = toks[i];
    if (t.kind !== 'newline' && t.col <= character && character < t.endCol) return t;
    if (t.kind !== 'newline' && t.endCol === character && t.kind !== 'comment') {
      const n = toks[i + 1];
      if (!n || n.line !== line || n.col !== character) return t;
    }
  }
  return undefined;
}

export interface HoverResult { markdown: string; range: Range }

export function hoverAt(ast: ScenarioAst, line: number, character: number): HoverResult | undefined {
  const t = tokenAt(ast, line, character);
  if (!t || t.kind === 'comment' || t.kind === 'newline') return undefined;
  const range: Range = { line: t.line, column: t.col, endLine: t.line, endColumn: t.endCol };
  const role = ast.roles.get(t) ?? guessRole(t);
  if (!role) return undefined;
  const md = describe(role);
  return md ? { markdown: md, range } : undefined;
}

function guessRole(t: Token): TokenRole | undefined {
  if (t.kind === 'version') return { kind: 'version', value: t.value ?? 0 };
  if (t.kind === 'guid') {
    const c = lookupClassGuid(t.str ?? '');
    return c ? { kind: 'class', name: c.name, guid: c.guid } : undefined;
  }
  if (t.kind !== 'ident') return undefined;
  if (KEYWORDS[t.text]) return { kind: 'keyword', word: t.text, context: KEYWORDS[t.text][0].context };
  if (/^CHANNELMSG_/.test(t.text) && messageByName(t.text)) return { kind: 'message', name: messageByName(t.text)!.name };
  const f = chnFlagByName(t.text);
  if (f) return { kind: 'chn-flag', name: f.name };
  const ff = featureByName(t.text);
  if (ff) return { kind: 'feature', name: ff.name };
  if (faultById(t.text)) return { kind: 'fault', id: t.text };
  const c = lookupClassName(t.text);
  if (c) return { kind: 'class', name: c.name, guid: c.guid };
  if (versionByName(t.text) !== undefined) return { kind: 'version', value: versionByName(t.text)! };
  return undefined;
}

function describe(role: TokenRole): string | undefined {
  switch (role.kind) {
    case 'keyword': {
      const docs = KEYWORDS[role.word];
      if (!docs) return undefined;
      const d = docs.find((x) => x.context === role.context) ?? docs[0];
      return `\`${d.syntax}\`\n\n${d.doc}`;
    }
    case 'class': {
      const c = lookupClassName(role.name) ?? (role.guid ? (() => { const g = lookupClassGuid(role.guid); return g ? lookupClassName(g.name) : undefined; })() : undefined);
      if (!c) return `Class GUID \`{${role.guid}}\` — not a class Linux knows (lsvmbus: Unknown).`;
      const macro = c.cls ? ` (${c.cls.macro})` : '';
      return `**${c.name}** — ${c.description}\n\nclass GUID ${c.guid ? `\`{${c.guid}}\`` : 'is the service GUID'}${macro}; ${c.allowedInIsolated ? 'allowed' : '**not** allowed'} in isolated VMs.`;
    }
    case 'chn-flag': {
      const f = CHN_FLAG_WORDS.find((x) => x.name === role.name);
      return f ? `**${f.name}** = \`${hexNum(f.value, 4)}\` (chn_flags, ${f.linuxName})\n\n${f.doc}` : undefined;
    }
    case 'feature': {
      const f = FEATURE_WORDS.find((x) => x.name === role.name);
      return f ? `**${f.name}** = \`${hexNum(f.value, 2)}\` (feature_flags${f.linuxName ? ', ' + f.linuxName : ''})\n\n${f.doc}` : undefined;
    }
    case 'message': {
      const m = MESSAGE_WORDS.find((x) => x.name === role.name);
      return m ? `**${m.name}** = ${m.value}\n\n${m.doc}` : undefined;
    }
    case 'fault': {
      const f = faultById(role.id);
      if (!f) return undefined;
      const params = f.paramDocs.length ? `\n\nParameters: ${f.paramDocs.map((p) => `\`${p.name}\` — ${p.description}`).join('; ')}` : '';
      const reaction = f.guestReaction ? `\n\nGuest: ${f.guestReaction}` : '';
      return `**${f.id}**${f.hostile ? ' (hostile host)' : ''}\n\n${f.description}${params}${reaction}`;
    }
    case 'version': {
      const v = role.value >>> 0;
      const info = VERSIONS.find((x) => x.value === v);
      return `VMBus version **${versionString(v)}** = \`${hexNum(v, 8)}\`${info ? ` (${info.name}, OpenVMM ${info.openVmmName}): ${info.host}` : ` (${versionName(v)})`}`;
    }
    case 'device-def':
    case 'device-ref':
      return `device **${role.name}**`;
    case 'value':
      return role.doc ? `**${role.word}** — ${role.doc}` : undefined;
  }
  return undefined;
}

// ---------------------------------------------------------------- folding, definition, lens

export interface FoldingRange { start: number; end: number; kind?: 'comment' | 'region' }

export function foldingRanges(ast: ScenarioAst): FoldingRange[] {
  const out: FoldingRange[] = [];
  const walk = (sts: ScenarioAst['tree']['statements']): void => {
    for (const s of sts) {
      if (s.block) {
        const end = s.block.close ? s.block.close.line : s.range.endLine;
        if (end > s.range.line) out.push({ start: s.range.line, end });
        walk(s.block.body);
      }
    }
  };
  walk(ast.tree.statements);
  // Runs of comment-only lines.
  let runStart = -1;
  let prevLine = -2;
  const toks = ast.tree.tokens;
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (t.kind !== 'comment') continue;
    // A comment ends its line, so the tokens before it on the line are the ones just before it.
    const prev = toks[i - 1];
    const onlyThing = !prev || prev.kind === 'newline' || prev.line !== t.line;
    if (!onlyThing) continue;
    if (t.line === prevLine + 1 && runStart >= 0) { prevLine = t.line; continue; }
    if (runStart >= 0 && prevLine > runStart) out.push({ start: runStart, end: prevLine, kind: 'comment' });
    runStart = t.line;
    prevLine = t.line;
  }
  if (runStart >= 0 && prevLine > runStart) out.push({ start: runStart, end: prevLine, kind: 'comment' });
  return out;
}

export type Definition = { file: string; range: Range } | undefined;

export function definitionAt(ast: ScenarioAst, line: number, character: number): Definition {
  for (const inc of ast.includes) {
    const r = inc.range;
    if (r.line === line && r.column <= character && character <= r.endColumn && inc.resolved && inc.ok) {
      return { file: inc.resolved, range: { line: 0, column: 0, endLine: 0, endColumn: 0 } };
    }
  }
  const t = tokenAt(ast, line, character);
  if (!t) return undefined;
  const role = ast.roles.get(t);
  if (role && (role.kind === 'device-ref' || role.kind === 'device-def')) {
    return ast.deviceDefs.get(role.name);
  }
  return undefined;
}

/** Flattened symbols (for tests and simple consumers). */
export function flattenSymbols(syms: ScenarioSymbol[]): ScenarioSymbol[] {
  const out: ScenarioSymbol[] = [];
  const walk = (s: ScenarioSymbol[]): void => { for (const x of s) { out.push(x); walk(x.children); } };
  walk(syms);
  return out;
}
