// Scenario parser: interprets the statement tree (syntax.ts) as a ScenarioConfig. Every problem
// becomes a diagnostic with the exact range of the offending words; a bad statement is skipped
// and the next one parsed, so one typo never hides the rest of the file.
import type { Expectation, FaultConfig, FaultTrigger, ScenarioConfig, ScriptStep, SourceRef, StopPoint } from '../model/config';
import type { Token } from './lexer';
import { parseSyntax, spanRange, tokenRange, type Range, type Statement } from './syntax';
import type { IncludeRef, ParseOptions, ScenarioAst, ScenarioDiagnostic, ScenarioSymbol, TokenRole } from './types';
import {
  ALL_VERSIONS, BOOL_WORDS, CHANNEL_STATES, DEFAULT_HOST_FEATURES, DESIGNS, HV_SOCK, ISOLATIONS, KEYWORDS, PARTIES, SECTION_KEYWORDS,
  TOP_KEYWORDS, chnFlagByName, faultById, featureByName, lookupClassGuid, lookupClassName, messageByName, versionByName,
  faultWords, CHN_FLAG_WORDS, FEATURE_WORDS, classWords,
} from './vocab';
import { ChnFlags, HVSOCK_SRV_ID_TEMPLATE_TAIL } from '../protocol/constants';
import { checkScenario, type DeviceInfo } from './checker';
import { dirname, joinPath, isInside, isAbsolutePath } from './paths';
import { GPADL_MAX_PAGES, U16, checkFaultParam } from './limits';
import { DEFAULT_SCENARIO_BUDGET, countStatements, tooLargeReason, type ScenarioBudget } from './files';
import type { SyntaxTree } from './syntax';

/**
 * Ends the check of the statement at hand (its diagnostic is already recorded). Not an Error: the
 * stack trace V8 takes for each one made a file of 32,768 bad lines cost ~150 ms more
 * (bench/scenario/parse-size.ts).
 */
class Abort {
  constructor(readonly message: string) {}
}

type SectionName = 'platform' | 'paravisor' | 'host' | 'devices' | 'faults' | 'expect' | 'run';

interface PendingDeviceRef {
  tok: Token;
  file: string;
  apply: (name: string) => void;
}
interface PendingStopRef {
  tok: Token;
  file: string;
  apply: (s: StopPoint) => void;
}

export interface ParseResult {
  config?: ScenarioConfig;
  diagnostics: ScenarioDiagnostic[];
  ast: ScenarioAst;
  /** What the parse cost: distinct files parsed, their bytes and statements. */
  stats: { files: number; bytes: number; statements: number };
}

const MAX_INCLUDE_DEPTH = 8;

/** Builds the config; one instance per parseScenario call. */
class Parser {
  readonly diagnostics: ScenarioDiagnostic[] = [];
  readonly symbols: ScenarioSymbol[] = [];
  readonly includes: IncludeRef[] = [];
  readonly devices: DeviceInfo[] = [];
  private readonly deviceByName = new Map<string, DeviceInfo>();
  private readonly stopByLabel = new Map<string, StopPoint>();
  readonly deviceDefs = new Map<string, { file: string; range: Range }>();
  readonly faults: FaultConfig[] = [];
  readonly expectations: Expectation[] = [];
  readonly stops: StopPoint[] = [];
  readonly steps: ScriptStep[] = [];
  readonly sections: NonNullable<ScenarioConfig['sections']> = {};
  readonly deviceRefs: PendingDeviceRef[] = [];
  readonly stopRefs: PendingStopRef[] = [];
  /** `hvsock connect DEVICE` steps: DEVICE must be an hv_sock device (checked once names resolve). */
  readonly hvsockRefs: { tok: Token; file: string; step: Extract<ScriptStep, { kind: 'hvsock-connect' }> }[] = [];
  readonly platformRefs: Partial<Record<string, SourceRef>> = {};
  name?: string;
  nameRef?: SourceRef;
  seed = 0;
  scenarioLine = -1;
  isolation: ScenarioConfig['platform']['isolation'] = 'none';
  vpCount = 1;
  design: 'probe' | 'cpuid' = 'cpuid';
  guestMaxVersion = 0x00060000;
  autoEoi = false;
  paravisorPresent = false;
  paravisorConfidential = false;
  paravisorVersions: number[] = [];
  /** `mnf yes | no`; undefined = OpenHCL's default (world.ts paravisorMnfDefault). */
  paravisorMnf: boolean | undefined = undefined;
  hostVersions: number[] = [...ALL_VERSIONS];
  hostFeatures: number = DEFAULT_HOST_FEATURES;
  private readonly includeStack: string[] = [];
  /** Set while parsing the top file (roles/symbols are only recorded for it). */
  private mainFile: string;

  constructor(readonly rootFile: string, readonly opts: ParseOptions) {
    this.mainFile = rootFile;
  }

  // ---------------------------------------------------------------- diagnostics

  diag(file: string, severity: ScenarioDiagnostic['severity'], range: Range, message: string, code?: string): void {
    this.diagnostics.push({ severity, message, range, file, code });
  }

  ref(file: string, r: Range): SourceRef {
    return { file, line: r.line, column: r.column, endLine: r.endLine, endColumn: r.endColumn };
  }

  role(file: string, t: Token, r: TokenRole): void {
    if (file === this.mainFile) t.role = this.shared(r);
  }

  /**
   * Roles repeat (every 'device' keyword has the same one): tokens share one object per distinct
   * role, so a large file keeps thousands fewer objects alive (bench/scenario).
   */
  private shared(r: TokenRole): TokenRole {
    // Keyed by kind, then the role's word or name (a keyword's also by its context); a role with
    // anything else in it (a value's doc, a class GUID) is shared only if that matches too.
    let byWord = this.roles.get(r.kind);
    if (!byWord) this.roles.set(r.kind, (byWord = new Map()));
    const word = r.kind === 'keyword' || r.kind === 'value' ? r.word : r.kind === 'fault' ? r.id : r.kind === 'version' ? r.value : r.name;
    if (r.kind === 'keyword') {
      let byContext = this.keywordRoles.get(word as string);
      if (!byContext) this.keywordRoles.set(word as string, (byContext = new Map()));
      const hit = byContext.get(r.context);
      if (hit) return hit;
      byContext.set(r.context, r);
      return r;
    }
    const hit = byWord.get(word);
    if (hit && (r.kind !== 'value' || (hit as typeof r).doc === r.doc) && (r.kind !== 'class' || (hit as typeof r).guid === r.guid)) return hit;
    if (!hit) byWord.set(word, r);
    return r;
  }
  private readonly roles = new Map<TokenRole['kind'], Map<string | number, TokenRole>>();
  private readonly keywordRoles = new Map<string, Map<string, TokenRole>>();

  // ---------------------------------------------------------------- files

  /** Parses one file (its tree if the loader already made it). False when a budget stopped it. */
  parseFile(text: string, file: string, given?: SyntaxTree): boolean {
    this.included.add(file);
    this.stats.files++;
    this.stats.bytes += text.length;
    if (text.length > this.budget.maxFileBytes || this.stats.bytes > this.budget.maxTotalBytes) {
      const msg = text.length > this.budget.maxFileBytes
        ? `${tooLargeReason(text.length, this.budget.maxFileBytes, 'scenario file')}: not parsed`
        : `the scenario's files together exceed ${this.budget.maxTotalBytes} bytes: not parsed`;
      this.diag(file, 'error', { line: 0, column: 0, endLine: 0, endColumn: 0 }, msg, 'budget.size');
      return false;
    }
    const tree = given ?? parseSyntax(text);
    this.stats.statements += countStatements(tree);
    if (this.stats.statements > this.budget.maxStatements) {
      this.diag(file, 'error', { line: 0, column: 0, endLine: 0, endColumn: 0 }, `the scenario has more than ${this.budget.maxStatements} statements: not parsed further`, 'budget.statements');
      if (file === this.rootFile) this.tree = tree;
      return false;
    }
    for (const p of tree.problems) this.diag(file, 'error', p.range, p.message, p.code);
    this.includeStack.push(file);
    for (let i = 0; i < tree.statements.length; i++) this.topStatement(tree.statements[i], file);
    this.includeStack.pop();
    if (file === this.rootFile) this.tree = tree;
    return true;
  }
  tree: SyntaxTree = parseSyntax('');
  /** Files parsed so far: an include of one of them is not parsed again (linear in the files). */
  private readonly included = new Set<string>();
  readonly stats = { files: 0, bytes: 0, statements: 0 };
  private get budget(): ScenarioBudget {
    return { ...DEFAULT_SCENARIO_BUDGET, ...this.opts.budget };
  }

  private topStatement(st: Statement, file: string): void {
    const w = new Words(st, this, file);
    try {
      if (w.hasError()) return;
      const head = st.words[0];
      if (head.kind !== 'ident') {
        w.fail(`expected a statement such as ${TOP_KEYWORDS.slice(0, 8).join(', ')} ..., found '${head.text}'`, head);
      }
      const kwd = head.text;
      if (TOP_KEYWORDS.includes(kwd)) this.role(file, head, { kind: 'keyword', word: kwd, context: 'top' });
      switch (kwd) {
        case 'scenario': return this.scenarioStmt(w, file);
        case 'seed': {
          w.next();
          const t = w.need('a seed (a number)');
          this.seed = w.int(t, 0, 0xffffffff);
          w.end();
          this.noBlock(st, file);
          return;
        }
        case 'include': return this.includeStmt(w, file);
        case 'platform': return this.sectionBlock(w, file, 'platform', (s) => this.platformItem(s, file));
        case 'paravisor': {
          if (st.words.length === 2 && st.words[1].text === 'none' && !st.block) {
            this.role(file, st.words[1], { kind: 'value', word: 'none', doc: 'No paravisor: the guest talks to the hypervisor SynIC and the host directly.' });
            this.paravisorPresent = false;
            this.paravisorConfidential = false;
            this.markSection('paravisor', file, st);
            this.addSymbol(file, 'paravisor none', 'section', st, st.words[0]);
            return;
          }
          this.paravisorPresent = true;
          return this.sectionBlock(w, file, 'paravisor', (s) => this.paravisorItem(s, file));
        }
        case 'host': return this.sectionBlock(w, file, 'host', (s) => this.hostItem(s, file));
        case 'device': return this.deviceStmt(w, file);
        case 'fault': {
          w.next();
          this.faultBody(w, file, st);
          this.noBlock(st, file);
          return;
        }
        case 'faults': return this.sectionBlock(w, file, 'faults', (s) => {
          const ww = new Words(s, this, file);
          if (ww.hasError()) return;
          this.faultBody(ww, file, s);
          this.noBlock(s, file);
        });
        case 'expect':
          if (st.block) {
            return this.sectionBlock(w, file, 'expect', (s) => {
              const ww = new Words(s, this, file);
              if (ww.hasError()) return;
              this.expectBody(ww, file, s);
              this.noBlock(s, file);
            });
          }
          w.next();
          this.markSection('expect', file, st);
          this.expectBody(w, file, st);
          return;
        case 'run': return this.sectionBlock(w, file, 'run', (s) => this.runItem(s, file));
        case 'stop':
        case 'rescind':
        case 'close':
        case 'unload':
        case 'reopen':
        case 'connect':
        case 'modify':
        case 'hvsock':
        case 'reset':
          this.markSection('run', file, st);
          this.runItem(st, file);
          return;
        default: {
          const owner = Object.entries(SECTION_KEYWORDS).find(([, words]) => words.includes(kwd));
          if (owner && owner[0] !== 'expect' && owner[0] !== 'run') {
            w.fail(`'${kwd}' belongs in a ${owner[0] === 'device' ? 'device NAME CLASS { }' : owner[0] + ' { }'} block`, head);
          }
          w.fail(`unknown statement '${kwd}'${suggest(kwd, TOP_KEYWORDS)}`, head);
        }
      }
    } catch (e) {
      if (!(e instanceof Abort)) throw e;
    }
  }

  private noBlock(st: Statement, file: string): void {
    if (st.block) this.diag(file, 'error', tokenRange(st.block.open), `'${st.words[0].text}' takes no { } block`, 'syntax.block');
  }

  private markSection(name: SectionName, file: string, st: Statement): void {
    if (!this.sections[name]) this.sections[name] = this.ref(file, st.range);
  }

  private addSymbol(file: string, name: string, kind: ScenarioSymbol['kind'], st: Statement, sel: Token, detail?: string, children: ScenarioSymbol[] = []): ScenarioSymbol | undefined {
    if (file !== this.mainFile) return undefined;
    const s: ScenarioSymbol = { name, kind, detail, range: st.range, selectionRange: tokenRange(sel), children };
    this.symbols.push(s);
    return s;
  }

  private scenarioStmt(w: Words, file: string): void {
    const st = w.st;
    w.next();
    const t = w.need('the scenario name, e.g. scenario "SNP with OpenHCL"');
    if (t.kind !== 'string' && t.kind !== 'ident') w.fail(`expected the scenario name as a string, found '${t.text}'`, t);
    w.end();
    this.noBlock(st, file);
    if (file !== this.rootFile) {
      this.diag(file, 'warning', st.range, 'a scenario line in an included file is ignored', 'include.scenario');
      return;
    }
    if (this.name !== undefined) {
      this.diag(file, 'error', st.range, 'one scenario per file: this file already names its scenario above', 'scenario.duplicate');
      return;
    }
    this.name = t.kind === 'string' ? t.str ?? '' : t.text;
    this.nameRef = this.ref(file, st.range);
    this.scenarioLine = st.range.line;
    this.addSymbol(file, this.name, 'scenario', st, t);
  }

  private includeStmt(w: Words, file: string): void {
    const st = w.st;
    w.next();
    const t = w.need('a file name in quotes, e.g. include "platforms/snp.vmbus"');
    if (t.kind !== 'string') w.fail(`expected a file name in quotes, found '${t.text}'`, t);
    w.end();
    this.noBlock(st, file);
    const path = t.str ?? '';
    const inc: IncludeRef = { path, range: tokenRange(t), ok: false };
    if (file === this.mainFile) this.includes.push(inc);
    this.addSymbol(file, `include "${path}"`, 'include', st, t);
    if (!path) { this.diag(file, 'error', tokenRange(t), 'empty include path', 'include.path'); return; }
    if (isAbsolutePath(path)) {
      this.diag(file, 'error', tokenRange(t), 'includes are relative to the including file; absolute paths are not allowed', 'include.absolute');
      return;
    }
    const resolved = joinPath(dirname(file), path);
    inc.resolved = resolved;
    if (this.opts.workspaceRoot !== undefined && !isInside(this.opts.workspaceRoot, resolved)) {
      this.diag(file, 'error', tokenRange(t), `'${path}' is outside the workspace; includes must stay inside it`, 'include.outside');
      return;
    }
    if (this.includeStack.includes(resolved)) {
      this.diag(file, 'error', tokenRange(t), `'${path}' includes itself (through ${this.includeStack.length - this.includeStack.indexOf(resolved)} file(s))`, 'include.cycle');
      return;
    }
    if (this.includeStack.length > MAX_INCLUDE_DEPTH) {
      this.diag(file, 'error', tokenRange(t), `includes nest deeper than ${MAX_INCLUDE_DEPTH}`, 'include.depth');
      return;
    }
    if (this.included.has(resolved)) {
      // Included once already (a diamond, or the same line twice): its statements are in.
      inc.ok = true;
      return;
    }
    if (this.stats.files >= this.budget.maxFiles) {
      this.diag(file, 'error', tokenRange(t), `not read: the scenario reads more than ${this.budget.maxFiles} files`, 'budget.files');
      return;
    }
    let text: string | undefined;
    let tree: SyntaxTree | undefined;
    const loaded = this.opts.files?.files.get(resolved);
    if (loaded) {
      if (!loaded.ok) {
        this.diag(file, 'error', tokenRange(t), `cannot include '${path}': ${loaded.reason}`, 'include.unreadable');
        return;
      }
      text = loaded.text;
      tree = loaded.tree;
    } else {
      if (!this.opts.readFile) {
        this.diag(file, 'error', tokenRange(t), `cannot read '${path}' here`, 'include.unreadable');
        return;
      }
      try {
        text = this.opts.readFile(resolved);
      } catch {
        text = undefined;
      }
    }
    if (text === undefined) {
      this.diag(file, 'error', tokenRange(t), `included file '${path}' not found`, 'include.missing');
      return;
    }
    inc.ok = true;
    const before = this.errorCount;
    this.parseFile(text, resolved, tree);
    const after = this.errorCount;
    if (after > before) this.diag(file, 'error', tokenRange(t), `'${path}' has ${after - before} error(s)`, 'include.errors');
  }

  private get errorCount(): number {
    let n = 0;
    for (const d of this.diagnostics) if (d.severity === 'error') n++;
    return n;
  }

  /** `KEYWORD { items }` sections. */
  private sectionBlock(w: Words, file: string, name: 'platform' | 'paravisor' | 'host' | 'faults' | 'expect' | 'run', item: (s: Statement) => void): void {
    const st = w.st;
    if (st.words.length > 1) {
      const extra = st.words[1];
      w.fail(`'${name}' takes a { } block, not '${extra.text}' on its line`, extra);
    }
    this.markSection(name, file, st);
    const sym = this.addSymbol(file, name, 'section', st, st.words[0]);
    if (!st.block) {
      this.diag(file, 'error', w.endRange(), `expected '{' after '${name}'`, 'syntax.block');
      return;
    }
    const nSyms = this.symbols.length;
    const body = st.block.body;
    for (let i = 0; i < body.length; i++) {
      try {
        item(body[i]);
      } catch (e) {
        if (!(e instanceof Abort)) throw e;
      }
    }
    // Children (faults, expectations, stops) recorded while parsing the block move under it.
    // (A loop, not push(...spread): a block of 100,000 items would overflow the stack.)
    if (sym) for (const c of this.symbols.splice(nSyms)) sym.children.push(c);
  }

  // ---------------------------------------------------------------- platform / paravisor / host

  private settingHead(s: Statement, file: string, section: string): { w: Words; key: Token } | undefined {
    const w = new Words(s, this, file);
    if (w.hasError()) return undefined;
    const key = w.next()!;
    const known = SECTION_KEYWORDS[section] ?? [];
    if (key.kind !== 'ident' || !known.includes(key.text)) {
      const elsewhere = Object.entries(SECTION_KEYWORDS).find(([sec, words]) => sec !== section && words.includes(key.text));
      w.fail(`'${key.text}' is not a ${section} setting${elsewhere ? ` (it belongs in ${elsewhere[0]})` : suggest(key.text, known)}; expected one of: ${known.join(', ')}`, key);
    }
    this.role(file, key, { kind: 'keyword', word: key.text, context: section });
    this.noBlock(s, file);
    return { w, key };
  }

  private platformItem(s: Statement, file: string): void {
    const h = this.settingHead(s, file, 'platform');
    if (!h) return;
    const w: Words = h.w;
    const key = h.key;
    this.platformRefs[key.text] = this.ref(file, s.range);
    switch (key.text) {
      case 'isolation': {
        const t = w.need(`an isolation: ${ISOLATIONS.join(', ')}`);
        const v = t.text.toLowerCase();
        if (!(ISOLATIONS as readonly string[]).includes(v)) w.fail(`unknown isolation '${t.text}'; expected ${ISOLATIONS.join(', ')}`, t);
        this.role(file, t, { kind: 'value', word: v, doc: ISOLATION_DOCS[v] });
        this.isolation = v as typeof this.isolation;
        break;
      }
      case 'vps': {
        const t = w.need('the number of VPs');
        this.vpCount = w.int(t, 1, 1024);
        break;
      }
      case 'design': {
        const t = w.need('probe or cpuid');
        if (!(DESIGNS as readonly string[]).includes(t.text)) w.fail(`unknown design '${t.text}'; expected probe (try the paravisor, fall back) or cpuid (the merged CPUID bit)`, t);
        this.role(file, t, { kind: 'value', word: t.text, doc: KEYWORDS.design[0].doc });
        this.design = t.text as 'probe' | 'cpuid';
        break;
      }
      case 'max_version': {
        const t = w.need('a version such as 6.0');
        this.guestMaxVersion = w.version(t);
        break;
      }
      case 'auto_eoi': {
        this.autoEoi = w.bool(w.need('yes or no'));
        break;
      }
    }
    w.end();
  }

  private paravisorItem(s: Statement, file: string): void {
    const h = this.settingHead(s, file, 'paravisor');
    if (!h) return;
    const w: Words = h.w;
    const key = h.key;
    this.platformRefs['paravisor.' + key.text] = this.ref(file, s.range);
    switch (key.text) {
      case 'present':
        this.paravisorPresent = w.bool(w.need('yes or no'));
        break;
      case 'confidential_vmbus':
        this.paravisorConfidential = w.bool(w.need('yes or no'));
        break;
      case 'versions':
        this.paravisorVersions = this.versionList(w);
        break;
      case 'mnf':
        this.paravisorMnf = w.bool(w.need('yes or no'));
        break;
    }
    w.end();
  }

  private hostItem(s: Statement, file: string): void {
    const h = this.settingHead(s, file, 'host');
    if (!h) return;
    const w: Words = h.w;
    const key = h.key;
    this.platformRefs['host.' + key.text] = this.ref(file, s.range);
    switch (key.text) {
      case 'versions':
        this.hostVersions = this.versionList(w);
        break;
      case 'features':
        this.hostFeatures = this.featureValue(w, file);
        break;
    }
    w.end();
  }

  /** Feature flag names, hex values or none (host features, expect features). */
  private featureValue(w: Words, file: string): number {
    let v = 0;
    const first = w.need('feature flag names or a hex value');
    w.back();
    if (first.kind === 'ident' && first.text === 'none') {
      w.next();
      this.role(file, first, { kind: 'value', word: 'none' });
      return 0;
    }
    while (!w.done()) {
      const t = w.next()!;
      if (t.kind === 'comma') continue;
      if (t.kind === 'number') { v |= w.int(t, 0, 0xffffffff); continue; }
      const f = t.kind === 'ident' ? featureByName(t.text) : undefined;
      if (!f) w.fail(`unknown feature flag '${t.text}'${suggest(t.text.toLowerCase(), featureNames())}`, t, 'unknown.feature');
      this.role(file, t, { kind: 'feature', name: f.name });
      v |= f.value;
    }
    return v >>> 0;
  }

  private versionList(w: Words): number[] {
    const out: number[] = [];
    const first = w.need('one or more versions, e.g. 6.0 5.3 5.2');
    if (first.kind === 'ident' && first.text === 'all') {
      this.role(w.file, first, { kind: 'value', word: 'all', doc: 'Every version the protocol defines.' });
      return [...ALL_VERSIONS];
    }
    w.back();
    while (!w.done()) {
      const t = w.next()!;
      if (t.kind === 'comma') continue;
      const v = w.version(t);
      if (out.includes(v)) this.diag(w.file, 'warning', tokenRange(t), `version ${t.text} is listed twice`, 'duplicate.version');
      else out.push(v);
    }
    return out;
  }

  // ---------------------------------------------------------------- devices

  private deviceStmt(w: Words, file: string): void {
    const st = w.st;
    w.next();
    const nameTok = w.need('a device name, e.g. device disk0 storvsc');
    if (nameTok.kind !== 'ident') w.fail(`expected a device name, found '${nameTok.text}'`, nameTok);
    this.role(file, nameTok, { kind: 'device-def', name: nameTok.text });
    const info: DeviceInfo = {
      cfg: {
        name: nameTok.text, classGuid: '', instanceGuid: '', host: 'host', chnFlags: 0, subchannels: 0,
        sendRingBytes: 65536, recvRingBytes: 65536, bufferGpadlPages: [], packets: 2, mmioMegabytes: 0, open: true,
        source: this.ref(file, st.range),
      },
      file,
      nameRange: tokenRange(nameTok),
      props: {},
    };
    const classTok = w.peek();
    if (classTok) {
      w.next();
      this.deviceClass(w, info, classTok);
    }
    w.end();
    this.markSection('devices', file, st);
    this.addSymbol(file, nameTok.text, 'device', st, nameTok, info.cfg.className ?? info.cfg.classGuid);
    if (st.block) {
      for (const s of st.block.body) {
        try {
          this.deviceItem(s, file, info);
        } catch (e) {
          if (!(e instanceof Abort)) throw e;
        }
      }
    }
    if (!info.cfg.classGuid && !info.isHvSock) {
      this.diag(file, 'error', tokenRange(nameTok), `device '${nameTok.text}' has no class: write 'device ${nameTok.text} storvsc' (or a class GUID)`, 'device.class');
      return;
    }
    const prev = this.deviceByName.get(info.cfg.name);
    if (prev) {
      this.diag(file, 'error', tokenRange(nameTok), `duplicate device name '${nameTok.text}' (first declared ${prev.file === file ? `on line ${prev.nameRange.line + 1}` : `in ${prev.file}`})`, 'duplicate.device');
      return;
    }
    this.devices.push(info);
    this.deviceByName.set(info.cfg.name, info);
    this.deviceDefs.set(info.cfg.name, { file, range: info.nameRange });
  }

  private deviceClass(w: Words, info: DeviceInfo, t: Token): void {
    info.props.class = tokenRange(t);
    if (t.kind === 'guid') {
      const c = lookupClassGuid(t.str!);
      info.cfg.classGuid = t.str!;
      info.cfg.className = c?.name;
      info.unknownGuid = !c;
      this.role(w.file, t, { kind: 'class', name: c?.name ?? t.str!, guid: t.str });
      return;
    }
    if (t.kind !== 'ident') w.fail(`expected a device class (storvsc, netvsc, hv_sock ...) or a class GUID, found '${t.text}'`, t);
    const c = lookupClassName(t.text);
    if (!c) {
      w.fail(`unknown device class '${t.text}'${suggest(t.text.toLowerCase(), classNames())}; use a Linux driver name (storvsc, netvsc, hv_sock ...) or a class GUID`, t, 'unknown.class');
    }
    this.role(w.file, t, { kind: 'class', name: c.name, guid: c.guid });
    info.cfg.className = c.name;
    if (c.name === HV_SOCK) {
      info.isHvSock = true;
      info.cfg.classGuid = info.cfg.classGuid || '';
    } else {
      info.cfg.classGuid = c.guid!;
    }
  }

  private deviceItem(s: Statement, file: string, info: DeviceInfo): void {
    const h = this.settingHead(s, file, 'device');
    if (!h) return;
    const w: Words = h.w;
    const key = h.key;
    const r = this.ref(file, s.range);
    if (info.props[key.text] && key.text !== 'class') this.diag(file, 'warning', tokenRange(key), `'${key.text}' is set twice for '${info.cfg.name}'; the last one wins`, 'duplicate.setting');
    info.props[key.text] = r;
    const d = info.cfg;
    switch (key.text) {
      case 'class':
        this.deviceClass(w, info, w.need('a device class'));
        break;
      case 'instance': {
        const t = w.need('an instance GUID or auto');
        if (t.kind === 'ident' && t.text === 'auto') { d.instanceGuid = ''; this.role(file, t, { kind: 'value', word: 'auto', doc: 'Derived from the seed and the device name.' }); break; }
        if (t.kind !== 'guid') w.fail(`expected an instance GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx) or auto, found '${t.text}'`, t);
        d.instanceGuid = t.str!;
        info.props.instanceGuid = this.ref(file, tokenRange(t));
        break;
      }
      case 'service': {
        const t = w.need('a service GUID');
        if (t.kind !== 'guid') w.fail(`expected a service GUID, found '${t.text}'`, t);
        info.serviceGuid = t.str;
        break;
      }
      case 'hosted_by': {
        const t = w.need('host or paravisor');
        if (t.text !== 'host' && t.text !== 'paravisor') w.fail(`expected host or paravisor, found '${t.text}'`, t);
        this.role(file, t, { kind: 'value', word: t.text, doc: t.text === 'host' ? 'Offered by the Hyper-V host (relayed by the paravisor, if any): its memory is host-visible.' : 'Offered by the paravisor\'s own VMBus server (a VTL2 device): it can use encrypted memory.' });
        d.host = t.text === 'paravisor' ? 'paravisor' : 'host';
        info.explicitHost = true;
        break;
      }
      case 'flags': {
        let v = 0;
        const first = w.need('chn_flags names or a hex value');
        w.back();
        if (first.kind === 'ident' && first.text === 'none') {
          w.next();
          this.role(file, first, { kind: 'value', word: 'none', doc: 'chn_flags = 0' });
        } else {
          while (!w.done()) {
            const t = w.next()!;
            if (t.kind === 'comma') continue;
            if (t.kind === 'number') { v |= w.int(t, 0, 0xffff); continue; }
            const f = t.kind === 'ident' ? chnFlagByName(t.text) : undefined;
            if (!f) w.fail(`unknown chn_flags flag '${t.text}'${suggest(t.text.toLowerCase(), chnNames())}`, t, 'unknown.flag');
            this.role(file, t, { kind: 'chn-flag', name: f.name });
            v |= f.value;
          }
        }
        d.chnFlags = v;
        info.explicitFlags = true;
        break;
      }
      case 'monitor': {
        const t = w.need('a monitor id (0-255) or none');
        if (t.kind === 'ident' && t.text === 'none') { d.monitorId = undefined; this.role(file, t, { kind: 'value', word: 'none', doc: 'monitor_allocated = 0' }); break; }
        d.monitorId = w.int(t, 0, 255);
        break;
      }
      case 'subchannels':
        d.subchannels = w.int(w.need('a number of sub-channels'), 0, 64);
        break;
      case 'ring': {
        const a = w.need('a ring size such as 64k');
        d.sendRingBytes = w.size(a);
        d.recvRingBytes = d.sendRingBytes;
        info.props.ringSend = this.ref(file, tokenRange(a));
        info.props.ringRecv = info.props.ringSend;
        const b = w.peek();
        if (b) {
          w.next();
          d.recvRingBytes = w.size(b);
          info.props.ringRecv = this.ref(file, tokenRange(b));
        }
        break;
      }
      case 'buffer_gpadl': {
        const pages: number[] = [];
        w.need('a size in pages');
        w.back();
        while (!w.done()) {
          const t = w.next()!;
          if (t.kind === 'comma') continue;
          pages.push(w.int(t, 1, GPADL_MAX_PAGES));
        }
        d.bufferGpadlPages = pages;
        break;
      }
      case 'packets':
        d.packets = w.int(w.need('a number of packets'), 0, 100000);
        break;
      case 'mmio': {
        const t = w.need('a size in MiB');
        d.mmioMegabytes = t.kind === 'size' ? Math.ceil((t.value ?? 0) / (1024 * 1024)) : w.int(t, 0, U16);
        break;
      }
      case 'open':
        d.open = w.bool(w.need('yes or no'));
        break;
    }
    w.end();
  }

  // ---------------------------------------------------------------- faults

  private faultBody(w: Words, file: string, st: Statement): void {
    const kindTok = w.need('a fault name from the catalogue');
    if (kindTok.kind !== 'ident') w.fail(`expected a fault name, found '${kindTok.text}'`, kindTok);
    const f = faultById(kindTok.text);
    if (!f) w.fail(`unknown fault '${kindTok.text}'${suggest(kindTok.text, faultNames())}`, kindTok, 'unknown.fault');
    this.role(file, kindTok, { kind: 'fault', id: f.id });
    const trigger: FaultTrigger = {};
    const params: FaultConfig['params'] = {};
    while (!w.done()) {
      const t = w.next()!;
      const nx = w.peek();
      if (t.kind === 'ident' && nx?.kind === 'equals') {
        w.next();
        const v = w.need(`a value for ${t.text}`);
        if (!f.params.includes(t.text)) {
          this.diag(file, 'warning', tokenRange(t), f.params.length ? `fault '${f.id}' has no parameter '${t.text}'; it takes: ${f.params.join(', ')}` : `fault '${f.id}' takes no parameters`, 'unknown.param');
        }
        params[t.text] = paramValue(v);
        const bad = checkFaultParam(f.id, t.text, params[t.text]);
        if (bad) this.diag(file, 'error', tokenRange(v), bad, 'range.param');
        if (t.text === 'class' && f.params.includes('class')) {
          // A class the engine would not know must not fall back silently to some other class.
          const val = String(params.class);
          const guid = v.kind === 'guid' ? v.str : /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(val) ? val.toLowerCase() : lookupClassName(val)?.guid;
          if (guid === undefined) {
            this.diag(file, 'error', tokenRange(v), `unknown device class '${val}'${suggest(val.toLowerCase(), classNames())}; expected a Linux driver name (synthvid, hyperv_keyboard, kvp ...) or a class GUID`, 'unknown.class');
          } else {
            params.class = guid;
          }
        }
        continue;
      }
      if (t.kind !== 'ident') w.fail(`expected a trigger (on MSGTYPE, nth N, at PHASE, relid N, device NAME) or key=value, found '${t.text}'`, t);
      this.role(file, t, { kind: 'keyword', word: t.text, context: 'clause' });
      const field = TRIGGER_FIELDS[t.text];
      if (field && f.triggers && !f.triggers.includes(field)) {
        // The engine cannot honour it: an error, not a fault that silently fires elsewhere.
        this.diag(file, 'error', tokenRange(t), `fault '${f.id}' cannot honour a '${t.text}' trigger; it takes: ${f.triggers.map(triggerWord).join(', ') || 'none'}`, 'fault.trigger');
      }
      switch (t.text) {
        case 'on': trigger.msgtype = this.msgType(w, w.need('a message type, e.g. CHANNELMSG_OFFERCHANNEL')); break;
        case 'nth': trigger.nth = w.int(w.need('N (1 = the first match)'), 1, 1000000); break;
        case 'at':
        case 'phase': trigger.phase = this.phaseName(w); break;
        case 'relid': trigger.relid = w.int(w.need('a relid'), 1, 2047); break;
        case 'device': {
          const d = w.need('a device name');
          trigger.device = d.text;
          this.deviceRef(file, d, (n) => { trigger.device = n; });
          break;
        }
        default:
          w.fail(`unknown trigger '${t.text}'; expected on MSGTYPE, nth N, at PHASE, relid N, device NAME or key=value`, t);
      }
    }
    const fc: FaultConfig = { kind: f.id, trigger, params, source: this.ref(file, st.range) };
    this.faults.push(fc);
    this.markSection('faults', file, st);
    this.addSymbol(file, f.id, 'fault', st, kindTok, describeTrigger(trigger));
  }

  private phaseName(w: Words): string {
    const t = w.need('a phase name (connect, offers, open ...)');
    if (t.kind !== 'ident' && t.kind !== 'string') w.fail(`expected a phase name, found '${t.text}'`, t);
    this.role(w.file, t, { kind: 'value', word: t.kind === 'string' ? t.str! : t.text, doc: 'A phase of the run (as shown in the trace).' });
    return t.kind === 'string' ? t.str! : t.text;
  }

  private msgType(w: Words, t: Token): string {
    const m = t.kind === 'ident' ? messageByName(t.text) : undefined;
    if (!m) w.fail(`unknown message type '${t.text}'; expected a CHANNELMSG_* name such as CHANNELMSG_OFFERCHANNEL`, t, 'unknown.message');
    this.role(w.file, t, { kind: 'message', name: m.name });
    return m.name;
  }

  private deviceRef(file: string, t: Token, apply: (name: string) => void): void {
    this.role(file, t, { kind: 'device-ref', name: t.text });
    this.deviceRefs.push({ tok: t, file, apply });
  }

  // ---------------------------------------------------------------- expectations

  private expectBody(w: Words, file: string, st: Statement): void {
    let negate = false;
    let t = w.need('what to expect: offer, fallback, confidential, version, features, log, page, message, channel, invariants');
    if (t.kind === 'ident' && (t.text === 'no' || t.text === 'not')) {
      this.role(file, t, { kind: 'keyword', word: t.text, context: 'expect' });
      negate = true;
      t = w.need('what must not happen: fallback, confidential, log, message');
    }
    if (t.kind !== 'ident' || !SECTION_KEYWORDS.expect.includes(t.text)) {
      w.fail(`unknown expectation '${t.text}'${suggest(t.text, SECTION_KEYWORDS.expect)}; expected offer, fallback, confidential, version, features, log, page, message, channel or invariants`, t);
    }
    this.role(file, t, { kind: 'keyword', word: t.text, context: 'expect' });
    const source = this.ref(file, st.range);
    if (negate && !NEGATABLE.includes(t.text)) w.fail(`'${t.text}' cannot be negated; only ${NEGATABLE.join(', ')} can`, t);
    let e: Expectation;
    switch (t.text) {
      case 'offer': {
        const d = w.need('a device name');
        const oc = w.need('accepted, rejected or monitor N');
        if (oc.text === 'monitor') {
          // offer DEVICE monitor N | none: the monitorid of the offer the guest accepted.
          this.role(file, oc, { kind: 'keyword', word: 'monitor', context: 'clause' });
          const m = w.need('a monitor id (0-255) or none');
          let monitorId: number | null = null;
          if (m.text === 'none') this.role(file, m, { kind: 'value', word: 'none' });
          else monitorId = w.int(m, 0, 255);
          const mx: Extract<Expectation, { kind: 'monitor' }> = { kind: 'monitor', device: d.text, monitorId, source };
          this.deviceRef(file, d, (n) => { mx.device = n; });
          e = mx;
          break;
        }
        if (oc.text !== 'accepted' && oc.text !== 'rejected') w.fail(`expected accepted, rejected or monitor N, found '${oc.text}'`, oc);
        this.role(file, oc, { kind: 'value', word: oc.text });
        const ex: Extract<Expectation, { kind: 'offer' }> = { kind: 'offer', device: d.text, outcome: oc.text, source };
        this.deviceRef(file, d, (n) => { ex.device = n; });
        if (w.peek()) {
          const withTok = w.next()!;
          if (withTok.text !== 'with') w.fail(`expected 'with confidential ring ...' or the end of the line, found '${withTok.text}'`, withTok);
          this.role(file, withTok, { kind: 'keyword', word: 'with', context: 'clause' });
          if (oc.text === 'rejected') w.fail(`a rejected offer has no ring to describe`, withTok);
          let adj: boolean | undefined;
          let any = false;
          while (!w.done()) {
            const a = w.next()!;
            if (a.text === 'and' || a.kind === 'comma') continue;
            if (a.text === 'confidential' || a.text === 'encrypted') { adj = true; continue; }
            if (a.text === 'shared' || a.text === 'plain' || a.text === 'host-visible') { adj = false; continue; }
            if (a.text === 'ring' || a.text === 'external') {
              if (adj === undefined) w.fail(`say 'confidential ${a.text}' or 'shared ${a.text}'`, a);
              if (a.text === 'ring') ex.confidentialRing = adj;
              else ex.confidentialExternal = adj;
              any = true;
              const n2 = w.peek();
              if (n2 && ((a.text === 'ring' && n2.text === 'buffer') || (a.text === 'external' && n2.text === 'memory'))) w.next();
              continue;
            }
            w.fail(`expected confidential/shared ring or external, found '${a.text}'`, a);
          }
          if (!any) w.fail('expected what is confidential: ring, external', withTok);
        }
        e = ex;
        break;
      }
      case 'fallback': {
        let taken = !negate;
        const n = w.peek();
        if (n && (n.text === 'taken' || n.text === 'not')) {
          w.next();
          if (n.text === 'not') { const n2 = w.need("'taken'"); if (n2.text !== 'taken') w.fail(`expected 'taken', found '${n2.text}'`, n2); taken = !taken; }
        }
        e = { kind: 'fallback', taken, source };
        break;
      }
      case 'confidential': {
        const n = w.peek();
        if (n && n.text === 'connection') w.next();
        e = { kind: 'confidential', value: !negate, source };
        break;
      }
      case 'version': {
        const v = w.version(w.need('a version such as 6.0'));
        e = { kind: 'version', version: v, source };
        break;
      }
      case 'log': {
        const s = w.need('the log text in quotes');
        if (s.kind !== 'string') w.fail(`expected the log text in quotes, found '${s.text}'`, s);
        e = { kind: 'log', text: s.str ?? '', present: !negate, source };
        break;
      }
      case 'page': {
        const page = this.pageRef(w);
        const vis = w.need('encrypted or host-visible');
        let visibility: 'encrypted' | 'host-visible';
        if (vis.text === 'encrypted' || vis.text === 'private') visibility = 'encrypted';
        else if (vis.text === 'host-visible' || vis.text === 'shared' || vis.text === 'decrypted') visibility = 'host-visible';
        else w.fail(`expected encrypted or host-visible, found '${vis.text}'`, vis);
        this.role(file, vis, { kind: 'value', word: vis.text });
        e = { kind: 'page', page, visibility, source };
        break;
      }
      case 'message': {
        const m = this.msgType(w, w.need('a message type, e.g. CHANNELMSG_VERSION_RESPONSE'));
        const ex: Extract<Expectation, { kind: 'message' }> = { kind: 'message', msgtype: m, present: !negate, source };
        while (!w.done()) {
          const c = w.next()!;
          this.role(file, c, { kind: 'keyword', word: c.text, context: 'clause' });
          if (c.text === 'on') {
            const s = w.need('paravisor or hypervisor');
            if (s.text !== 'paravisor' && s.text !== 'hypervisor') w.fail(`expected paravisor or hypervisor (the SynIC), found '${s.text}'`, s);
            ex.synic = s.text;
            const n = w.peek();
            if (n && (n.text === 'SynIC' || n.text === 'synic')) w.next();
          } else if (c.text === 'from' || c.text === 'to') {
            const p = w.need('guest, paravisor, hypervisor or host');
            if (!(PARTIES as readonly string[]).includes(p.text)) w.fail(`expected guest, paravisor, hypervisor or host, found '${p.text}'`, p);
            ex[c.text] = p.text;
          } else if (c.text === 'device') {
            const d = w.need('a device name');
            ex.device = d.text;
            this.deviceRef(file, d, (n) => { ex.device = n; });
          } else {
            w.fail(`expected on paravisor|hypervisor SynIC, from PARTY, to PARTY or device NAME, found '${c.text}'`, c);
          }
        }
        e = ex;
        break;
      }
      case 'features':
        e = { kind: 'features', flags: this.featureValue(w, file), source };
        break;
      case 'channel': {
        const d = w.need('a device name');
        const s = w.need(`a state: ${CHANNEL_STATES.join(', ')}`);
        if (!CHANNEL_STATES.includes(s.text)) w.fail(`unknown channel state '${s.text}'; expected ${CHANNEL_STATES.join(', ')}`, s);
        this.role(file, s, { kind: 'value', word: s.text });
        const ex: Extract<Expectation, { kind: 'channel-state' }> = { kind: 'channel-state', device: d.text, state: s.text, source };
        this.deviceRef(file, d, (n) => { ex.device = n; });
        e = ex;
        break;
      }
      case 'invariants': {
        const s = w.need('hold or broken');
        if (s.text !== 'hold' && s.text !== 'broken') w.fail(`expected hold or broken, found '${s.text}'`, s);
        e = { kind: 'invariants', hold: s.text === 'hold', source };
        break;
      }
      default:
        w.fail(`unknown expectation '${t.text}'`, t);
    }
    w.end();
    this.expectations.push(e);
    const label = st.words.slice(st.words[0].text === 'expect' ? 1 : 0).map((x) => x.text).join(' ');
    this.addSymbol(file, label, 'expectation', st, t);
  }

  private pageRef(w: Words): string {
    const t = w.need('a page: ring(relid N), "PAGE-ID"');
    if (t.kind === 'string') return t.str ?? '';
    if (t.kind !== 'ident') w.fail(`expected a page such as ring(relid 5) or "vp0.para.simp", found '${t.text}'`, t);
    const lp = w.peek();
    if (!lp || lp.kind !== 'lparen') return t.text;
    w.next();
    const a = w.need('relid N or a device name');
    let id: string;
    if (a.text === 'relid') {
      const n = w.int(w.need('a relid'), 1, 2047);
      id = `relid${n}.${t.text}`;
    } else if (a.text === 'vp') {
      const n = w.int(w.need('a VP number'), 0, 1023);
      let owner = 'hyp';
      const c = w.peek();
      if (c && c.kind === 'comma') {
        w.next();
        const o = w.need('paravisor or hypervisor');
        owner = o.text === 'paravisor' ? 'para' : 'hyp';
      }
      id = `vp${n}.${owner}.${t.text}`;
    } else {
      id = `${a.text}.${t.text}`;
      this.deviceRef(w.file, a, (n) => { id = `${n}.${t.text}`; });
    }
    const rp = w.need("')'");
    if (rp.kind !== 'rparen') w.fail(`expected ')', found '${rp.text}'`, rp);
    return id;
  }

  // ---------------------------------------------------------------- run

  private runItem(s: Statement, file: string): void {
    const w = new Words(s, this, file);
    if (w.hasError()) return;
    const k = w.next()!;
    if (!SECTION_KEYWORDS.run.includes(k.text)) w.fail(`unknown run item '${k.text}'${suggest(k.text, SECTION_KEYWORDS.run)}; expected ${SECTION_KEYWORDS.run.join(', ')}`, k);
    this.role(file, k, { kind: 'keyword', word: k.text, context: 'run' });
    this.noBlock(s, file);
    const source = this.ref(file, s.range);
    switch (k.text) {
      case 'stop': {
        let label: string | undefined;
        const first = w.need('a label, then at phase P | message MSGTYPE | device NAME');
        if (first.text !== 'at') {
          if (first.kind !== 'ident' && first.kind !== 'string') w.fail(`expected a label, found '${first.text}'`, first);
          label = first.kind === 'string' ? first.str : first.text;
          const at = w.need("'at'");
          if (at.text !== 'at') w.fail(`expected 'at', found '${at.text}'`, at);
          this.role(file, at, { kind: 'keyword', word: 'at', context: 'clause' });
        }
        const sp: StopPoint = { label: label ?? '', source };
        this.stopClauses(w, sp, false);
        if (!sp.label) sp.label = sp.phase ?? sp.msgtype ?? sp.device ?? 'stop';
        if (this.stopByLabel.has(sp.label)) this.diag(file, 'error', tokenRange(first), `duplicate stop label '${sp.label}'`, 'duplicate.stop');
        else { this.stops.push(sp); this.stopByLabel.set(sp.label, sp); }
        this.addSymbol(file, `stop ${sp.label}`, 'stop', s, first);
        break;
      }
      case 'rescind': {
        const d = w.need('a device name');
        const step: Extract<ScriptStep, { kind: 'rescind' }> = { kind: 'rescind', device: d.text, source };
        this.deviceRef(file, d, (n) => { step.device = n; });
        if (w.peek()) {
          const a = w.next()!;
          if (a.text !== 'after') w.fail(`expected 'after LABEL', 'after phase P' or 'after message MSGTYPE', found '${a.text}'`, a);
          this.role(file, a, { kind: 'keyword', word: 'after', context: 'clause' });
          const n = w.peek();
          if (n && (n.text === 'phase' || n.text === 'message' || n.text === 'device')) {
            const sp: StopPoint = { label: '', source };
            this.stopClauses(w, sp, true);
            sp.label = `${step.device}-rescind`;
            step.after = sp;
          } else {
            const l = w.need('a stop label');
            this.stopRefs.push({ tok: l, file, apply: (sp) => { step.after = sp; } });
          }
        }
        this.steps.push(step);
        this.addSymbol(file, `rescind ${d.text}`, 'step', s, k);
        break;
      }
      case 'close': {
        const d = w.need('a device name');
        const step: Extract<ScriptStep, { kind: 'close' }> = { kind: 'close', device: d.text, source };
        this.deviceRef(file, d, (n) => { step.device = n; });
        this.steps.push(step);
        this.addSymbol(file, `close ${d.text}`, 'step', s, k);
        break;
      }
      case 'unload':
        this.steps.push({ kind: 'unload', source });
        this.addSymbol(file, 'unload', 'step', s, k);
        break;
      case 'connect':
        this.steps.push({ kind: 'connect', source });
        this.addSymbol(file, 'connect', 'step', s, k);
        break;
      case 'reopen': {
        const d = w.need('a device name');
        const step: Extract<ScriptStep, { kind: 'reopen' }> = { kind: 'reopen', device: d.text, source };
        this.deviceRef(file, d, (n) => { step.device = n; });
        this.steps.push(step);
        this.addSymbol(file, `reopen ${d.text}`, 'step', s, k);
        break;
      }
      case 'modify': {
        const d = w.need('a device name, then vp N');
        const vpTok = w.need("'vp N'");
        if (vpTok.text !== 'vp') w.fail(`expected 'vp N' (the VP to bind the channel to), found '${vpTok.text}'`, vpTok);
        this.role(file, vpTok, { kind: 'keyword', word: 'vp', context: 'clause' });
        const vp = w.int(w.need('a VP number'), 0, 1023);
        const step: Extract<ScriptStep, { kind: 'modify' }> = { kind: 'modify', device: d.text, vp, source };
        this.deviceRef(file, d, (n) => { step.device = n; });
        this.steps.push(step);
        this.addSymbol(file, `modify ${d.text} vp ${vp}`, 'step', s, k);
        break;
      }
      case 'hvsock': {
        const c = w.need("'connect'");
        if (c.text !== 'connect') w.fail(`expected 'hvsock connect DEVICE' or 'hvsock connect service GUID', found '${c.text}'`, c);
        this.role(file, c, { kind: 'keyword', word: 'connect', context: 'clause' });
        const t = w.need('an hv_sock device, or service GUID');
        const step: Extract<ScriptStep, { kind: 'hvsock-connect' }> = { kind: 'hvsock-connect', source };
        if (t.text === 'service') {
          this.role(file, t, { kind: 'keyword', word: 'service', context: 'clause' });
          const g = w.need('a service GUID');
          if (g.kind !== 'guid') w.fail(`expected a service GUID, found '${g.text}'`, g);
          step.service = g.str ?? g.text.toLowerCase();
          if (!step.service.endsWith(HVSOCK_SRV_ID_TEMPLATE_TAIL)) this.diag(file, 'warning', tokenRange(g), HVSOCK_FORM_WARNING, 'hvsock.service');
        } else {
          step.device = t.text;
          this.deviceRef(file, t, (n) => { step.device = n; });
          this.hvsockRefs.push({ tok: t, file, step });
        }
        this.steps.push(step);
        this.addSymbol(file, `hvsock connect ${step.device ?? step.service}`, 'step', s, k);
        break;
      }
      case 'reset': {
        const step: Extract<ScriptStep, { kind: 'reset' }> = { kind: 'reset', source };
        if (w.peek()) {
          const a = w.next()!;
          if (a.text !== 'after') w.fail(`expected 'after LABEL', 'after phase P' or 'after message MSGTYPE', found '${a.text}'`, a);
          this.role(file, a, { kind: 'keyword', word: 'after', context: 'clause' });
          const n = w.peek();
          if (n && (n.text === 'phase' || n.text === 'message' || n.text === 'device')) {
            const sp: StopPoint = { label: 'reset', source };
            this.stopClauses(w, sp, false);
            step.after = sp;
          } else {
            const l = w.need('a stop label');
            this.stopRefs.push({ tok: l, file, apply: (sp) => { step.after = sp; } });
          }
        }
        this.steps.push(step);
        this.addSymbol(file, 'reset', 'step', s, k);
        break;
      }
    }
    w.end();
  }

  private stopClauses(w: Words, sp: StopPoint, single: boolean): void {
    let any = false;
    while (!w.done()) {
      const c = w.next()!;
      this.role(w.file, c, { kind: 'keyword', word: c.text, context: 'clause' });
      if (c.text === 'phase') sp.phase = this.phaseName(w);
      else if (c.text === 'message') sp.msgtype = this.msgType(w, w.need('a message type'));
      else if (c.text === 'device') {
        const d = w.need('a device name');
        sp.device = d.text;
        this.deviceRef(w.file, d, (n) => { sp.device = n; });
      } else w.fail(`expected phase P, message MSGTYPE or device NAME, found '${c.text}'`, c);
      any = true;
      if (single) break;
    }
    if (!any) w.fail('expected phase P, message MSGTYPE or device NAME', undefined);
  }

  // ---------------------------------------------------------------- finish

  finish(): ScenarioConfig | undefined {
    // Resolve device references: by name, or by class name when exactly one device has it.
    for (const r of this.deviceRefs) {
      const name = r.tok.text;
      if (this.deviceByName.has(name)) { r.apply(name); continue; }
      const cls = lookupClassName(name)?.name ?? name;
      const byClass = this.devices.filter((d) => d.cfg.className === cls);
      if (byClass.length === 1) { r.apply(byClass[0].cfg.name); continue; }
      if (byClass.length > 1) {
        this.diag(r.file, 'error', tokenRange(r.tok), `'${name}' matches ${byClass.length} devices (${byClass.map((d) => d.cfg.name).join(', ')}); name one`, 'ambiguous.device');
        continue;
      }
      this.diag(r.file, 'error', tokenRange(r.tok), `no device named '${name}'${suggest(name, this.devices.map((d) => d.cfg.name))}`, 'unknown.device');
    }
    for (const r of this.hvsockRefs) {
      const d = r.step.device !== undefined ? this.deviceByName.get(r.step.device) : undefined;
      if (d && !d.isHvSock) this.diag(r.file, 'error', tokenRange(r.tok), `'${d.cfg.name}' is not an hv_sock device: hvsock connect needs a device of class hv_sock (its service GUID is what the guest connects to)`, 'combo.hvsock');
    }
    for (const r of this.stopRefs) {
      const sp = this.stopByLabel.get((r.tok.kind === 'string' ? r.tok.str : r.tok.text) ?? '');
      if (sp) r.apply(sp);
      else this.diag(r.file, 'error', tokenRange(r.tok), `no stop labelled '${r.tok.text}'; declare it with 'stop ${r.tok.text} at phase ...' in run { }`, 'unknown.stop');
    }
    const seed = this.opts.seed ?? this.seed;
    // hv_sock devices a connect names are listening host services: offered on connect, not at boot.
    const listening = new Set(this.hvsockRefs.map((r) => r.step.device).filter((n): n is string => n !== undefined));
    for (const d of this.devices) {
      if (d.isHvSock && listening.has(d.cfg.name)) d.cfg.hvsockListen = true;
      if (d.isHvSock) {
        // A listening service without a `service` GUID gets one Linux's hv_sock can reach:
        // <port>-facb-11e6-bd58-64006a7986d3 (hyperv_transport.c is_valid_srv_id).
        const generated = deterministicGuid(seed, `service:${d.cfg.name}`);
        d.cfg.classGuid = d.serviceGuid ?? (d.cfg.hvsockListen ? generated.slice(0, 8) + HVSOCK_SRV_ID_TEMPLATE_TAIL : generated);
        if (!d.explicitFlags) d.cfg.chnFlags = ChnFlags.ENUMERATE_DEVICE_INTERFACE | ChnFlags.NAMED_PIPE_MODE | ChnFlags.TLNPI_PROVIDER_OFFER;
      }
      if (!d.explicitFlags && d.cfg.host === 'paravisor') d.cfg.chnFlags |= ChnFlags.CONFIDENTIAL_RING_BUFFER;
      if (!d.cfg.instanceGuid) d.cfg.instanceGuid = deterministicGuid(seed, `instance:${d.cfg.name}`);
    }
    for (const r of this.hvsockRefs) {
      const d = r.step.device !== undefined ? this.deviceByName.get(r.step.device) : undefined;
      if (!d?.isHvSock) continue;
      if (!d.cfg.classGuid.endsWith(HVSOCK_SRV_ID_TEMPLATE_TAIL)) this.diag(r.file, 'warning', tokenRange(r.tok), `'${d.cfg.name}': ${HVSOCK_FORM_WARNING}`, 'hvsock.service');
      if (d.cfg.host === 'paravisor') this.diag(r.file, 'warning', tokenRange(r.tok), `'${d.cfg.name}' is paravisor-hosted, but OpenHCL hands every guest hv_sock connect to the host (vmbus_relay): nothing listens there and the connect is refused`, 'hvsock.paravisor');
    }
    // `hvsock connect service GUID` reaches an hv_sock device whose service it is: that one listens too.
    for (const st of this.steps) {
      if (st.kind !== 'hvsock-connect' || st.service === undefined) continue;
      const d = this.devices.find((x) => x.isHvSock && x.cfg.classGuid === st.service);
      if (d) d.cfg.hvsockListen = true;
    }
    const config: ScenarioConfig = {
      name: this.name ?? baseName(this.rootFile),
      file: this.rootFile,
      seed,
      platform: {
        isolation: this.isolation,
        vpCount: this.vpCount,
        paravisor: { present: this.paravisorPresent, confidentialVmbus: this.paravisorPresent && this.paravisorConfidential, versions: this.paravisorVersions, ...(this.paravisorMnf !== undefined ? { mnf: this.paravisorMnf } : {}) },
        design: this.opts.design ?? this.design,
        guestMaxVersion: this.guestMaxVersion,
        hostVersions: this.hostVersions,
        hostFeatureFlags: this.hostFeatures,
        autoEoi: this.autoEoi,
      },
      devices: this.devices.map((d) => d.cfg),
      faults: this.faults,
      expectations: this.expectations,
      stops: this.stops,
      steps: this.steps,
      sections: this.sections,
      source: this.nameRef,
    };
    checkScenario(config, {
      devices: this.devices,
      platformRefs: this.platformRefs,
      rootFile: this.rootFile,
      paravisorConfidentialAsked: this.paravisorConfidential,
      diag: (file, sev, range, msg, code) => this.diag(file, sev, range, msg, code),
    });
    return config;
  }
}

const TRIGGER_FIELDS: Record<string, string | undefined> = { on: 'msgtype', nth: 'nth', at: 'phase', phase: 'phase', relid: 'relid', device: 'device' };
const NEGATABLE = ['fallback', 'confidential', 'log', 'message'];

const ISOLATION_DOCS: Record<string, string> = {
  none: 'No isolation: memory is not encrypted; the host can read it.',
  vbs: 'Virtualization-based security (software isolation, no memory encryption by hardware).',
  snp: 'AMD SEV-SNP: guest memory is encrypted; host-visible pages must be shared explicitly; hypervisor calls go through the GHCB.',
  tdx: 'Intel TDX: guest memory is private; host-visible pages must be shared explicitly; hypervisor calls go through tdcall.',
};

/** Cursor over the words of one statement. fail() reports and abandons the statement. */
class Words {
  i = 0;
  constructor(readonly st: Statement, readonly p: Parser, readonly file: string) {}
  hasError(): boolean {
    return this.st.words.some((t) => t.kind === 'error' || (t.kind === 'string' && t.error !== undefined));
  }
  peek(): Token | undefined {
    return this.st.words[this.i];
  }
  next(): Token | undefined {
    return this.st.words[this.i++];
  }
  back(): void {
    this.i--;
  }
  done(): boolean {
    return this.i >= this.st.words.length;
  }
  endRange(): Range {
    const last = this.st.words[this.st.words.length - 1];
    return { line: last.line, column: last.endCol, endLine: last.line, endColumn: last.endCol + 1 };
  }
  fail(message: string, t: Token | undefined, code = 'syntax'): never {
    this.p.diag(this.file, 'error', t ? tokenRange(t) : this.endRange(), message, code);
    throw new Abort(message);
  }
  need(what: string): Token {
    const t = this.next();
    if (!t) this.fail(`expected ${what}`, undefined, 'syntax.missing');
    return t;
  }
  end(): void {
    if (this.done()) return;
    const a = this.st.words[this.i];
    const b = this.st.words[this.st.words.length - 1];
    this.p.diag(this.file, 'error', spanRange(a, b), `unexpected '${a.text}'${b !== a ? ' ...' : ''}: nothing more belongs on this line`, 'syntax.extra');
    throw new Abort('extra');
  }
  int(t: Token, min: number, max: number): number {
    if (t.kind !== 'number' || t.value === undefined || !Number.isInteger(t.value)) this.fail(`expected a number, found '${t.text}'`, t);
    if (t.value < min || t.value > max) this.fail(`${t.text} is out of range (${min}..${max})`, t, 'range');
    return t.value;
  }
  bool(t: Token): boolean {
    const v = BOOL_WORDS[t.text];
    if (v === undefined || t.kind !== 'ident') this.fail(`expected yes or no, found '${t.text}'`, t);
    this.p.role(this.file, t, { kind: 'value', word: t.text });
    return v;
  }
  size(t: Token): number {
    if ((t.kind !== 'size' && t.kind !== 'number') || t.value === undefined) this.fail(`expected a size such as 64k or 1M, found '${t.text}'`, t);
    return t.value;
  }
  version(t: Token): number {
    let v: number | undefined;
    if (t.kind === 'version' || t.kind === 'number') v = t.value;
    else if (t.kind === 'ident') v = versionByName(t.text);
    if (v === undefined) this.fail(`expected a version such as 6.0, 5.3 or VERSION_WIN10_V6_0, found '${t.text}'`, t);
    if (v > 0xffffffff) this.fail(`${t.text} does not fit in 32 bits`, t, 'range');
    this.p.role(this.file, t, { kind: 'version', value: v });
    return v;
  }
}

function paramValue(t: Token): string | number | boolean {
  if (t.kind === 'number' || t.kind === 'size') return t.value ?? 0;
  if (t.kind === 'version') return t.value ?? 0;
  if (t.kind === 'string') return t.str ?? '';
  if (t.kind === 'guid') return t.str ?? t.text;
  if (t.text === 'true' || t.text === 'yes') return true;
  if (t.text === 'false' || t.text === 'no') return false;
  return t.text;
}

function triggerWord(field: string): string {
  return ({ msgtype: 'on MSGTYPE', nth: 'nth N', phase: 'at PHASE', relid: 'relid N', device: 'device NAME' } as Record<string, string>)[field] ?? field;
}

function describeTrigger(t: FaultTrigger): string {
  const parts: string[] = [];
  if (t.msgtype) parts.push(`on ${t.msgtype}`);
  if (t.nth) parts.push(`nth ${t.nth}`);
  if (t.phase) parts.push(`at ${t.phase}`);
  if (t.relid) parts.push(`relid ${t.relid}`);
  if (t.device) parts.push(`device ${t.device}`);
  return parts.join(' ');
}

// ---------------------------------------------------------------- helpers

function faultNames(): string[] { return faultWords().map((f) => f.id); }
function chnNames(): string[] { return CHN_FLAG_WORDS.map((f) => f.name); }
function featureNames(): string[] { return FEATURE_WORDS.map((f) => f.name); }
function classNames(): string[] { return classWords().map((c) => c.name); }

/** ", did you mean 'x'?" for a close match (edit distance ≤ 2 or prefix). */
export function suggest(word: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestD = 3;
  for (const c of candidates) {
    const d = editDistance(word, c, bestD);
    if (d < bestD) { bestD = d; best = c; }
  }
  if (!best) best = candidates.find((c) => c.startsWith(word) && word.length >= 3);
  return best ? ` (did you mean '${best}'?)` : '';
}

function editDistance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) >= cap) return cap;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      rowMin = Math.min(rowMin, cur[j]);
    }
    if (rowMin >= cap) return cap;
    prev = cur;
  }
  return prev[b.length];
}

function baseName(file: string): string {
  const b = file.split(/[\\/]/).pop() ?? file;
  return b.replace(/\.vmbus$/i, '');
}

/** Linux's hvs_connect builds the service id from a vsock port; hvs_open_connection ignores any other (is_valid_srv_id). */
const HVSOCK_FORM_WARNING = `Linux's hv_sock only uses service ids of the form <port>${HVSOCK_SRV_ID_TEMPLATE_TAIL} (hvs_connect builds the id from the vsock port): a Linux guest cannot send this one, and would not open a channel offered for it (is_valid_srv_id)`;

const HEX_BYTE = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** A GUID that depends only on (seed, key): xorshift-mixed FNV-1a, shaped as a v4 GUID. */
export function deterministicGuid(seed: number, key: string): string {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  let out = '';
  let x = h || 0x9e3779b9;
  for (let i = 0; i < 16; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    let b = (x >>> 8) & 0xff;
    if (i === 6) b = (b & 0x0f) | 0x40;
    else if (i === 8) b = (b & 0x3f) | 0x80;
    if (i === 4 || i === 6 || i === 8 || i === 10) out += '-';
    out += HEX_BYTE[b];
  }
  return out;
}

export function parseScenario(text: string, file: string, opts: ParseOptions = {}): ParseResult {
  const p = new Parser(file, opts);
  const root = opts.files?.files.get(file);
  const complete = p.parseFile(text, file, root?.ok && root.text === text ? root.tree : undefined);
  if (complete && p.tree.statements.length === 0) {
    p.diag(file, 'error', { line: 0, column: 0, endLine: 0, endColumn: 0 }, 'no statements: an empty scenario simulates nothing (start with scenario "NAME" and a platform { } block)', 'scenario.empty');
  }
  let config: ScenarioConfig | undefined = complete ? p.finish() : undefined;
  const hasError = p.diagnostics.some((d) => d.severity === 'error');
  if (hasError) config = undefined;
  const ast: ScenarioAst = {
    file,
    tree: p.tree,
    symbols: p.symbols,
    includes: p.includes,
    roles: { get: (t: Token) => t.role as TokenRole | undefined },
    scenarioLine: p.scenarioLine >= 0 ? p.scenarioLine : 0,
    deviceDefs: p.deviceDefs,
  };
  p.diagnostics.sort((a, b) => (a.file === b.file ? 0 : a.file === file ? -1 : b.file === file ? 1 : a.file < b.file ? -1 : 1) || a.range.line - b.range.line || a.range.column - b.range.column);
  return { config, diagnostics: p.diagnostics, ast, stats: p.stats };
}
