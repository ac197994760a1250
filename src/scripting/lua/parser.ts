/**
 * Lua 5.1's lexer and recursive-descent parser, producing the syntax tree of
 * ast.ts. Syntax errors read as PUC Lua's ("user_script:1: '=' expected near
 * 'x'"), and nesting is bounded as Lua bounds it, so hostile input gets an
 * error instead of exhausting the JS stack.
 */
import type { BinaryOp, Block, Expr, FunctionBody, IndexExpr, NameExpr, Stat, TableItem } from './ast.js';
import { stringToNumber } from './number.js';
import { LuaError } from './value.js';

/** Lua's LUAI_MAXCCALLS: how deeply syntax may nest. */
const MAX_LEVELS = 200;
/** Lua's LUAI_MAXVARS: locals active at once in one function. */
const MAX_LOCALS = 200;

const RESERVED = new Set([
  'and', 'break', 'do', 'else', 'elseif', 'end', 'false', 'for', 'function', 'if', 'in',
  'local', 'nil', 'not', 'or', 'repeat', 'return', 'then', 'true', 'until', 'while',
]);

type TokenType = 'name' | 'string' | 'number' | 'eof' | 'keyword' | 'symbol';

interface Token {
  type: TokenType;
  /** Keyword or symbol text, name, string value. */
  value: string;
  num: number;
  /** Source text, for error messages. */
  raw: string;
  line: number;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isAlpha = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isAlnum = (c: number): boolean => isAlpha(c) || isDigit(c);

class Lexer {
  private pos = 0;
  line = 1;

  constructor(
    private readonly src: string,
    private readonly chunk: string,
  ) {}

  error(message: string, near: string | undefined, line = this.line): never {
    throw new LuaError(near === undefined ? `${this.chunk}:${line}: ${message}` : `${this.chunk}:${line}: ${message} near '${near}'`);
  }

  private code(at = this.pos): number {
    return at < this.src.length ? this.src.charCodeAt(at) : -1;
  }

  private newline(): void {
    const c = this.code();
    this.pos++;
    const d = this.code();
    if ((d === 10 || d === 13) && d !== c) this.pos++;
    this.line++;
  }

  next(): Token {
    const src = this.src;
    for (;;) {
      const c = this.code();
      if (c === -1) return { type: 'eof', value: '<eof>', num: 0, raw: '<eof>', line: this.line };
      if (c === 10 || c === 13) {
        this.newline();
        continue;
      }
      if (c === 32 || c === 9 || c === 11 || c === 12) {
        this.pos++;
        continue;
      }
      const start = this.pos;
      const line = this.line;
      if (c === 45 && this.code(this.pos + 1) === 45) {
        this.pos += 2;
        if (this.code() === 91) {
          const level = this.longBracketLevel();
          if (level >= 0) {
            this.longString(level, true);
            continue;
          }
        }
        while (this.pos < src.length && this.code() !== 10 && this.code() !== 13) this.pos++;
        continue;
      }
      if (isAlpha(c)) {
        while (isAlnum(this.code())) this.pos++;
        const word = src.slice(start, this.pos);
        return { type: RESERVED.has(word) ? 'keyword' : 'name', value: word, num: 0, raw: word, line };
      }
      if (isDigit(c) || (c === 46 && isDigit(this.code(this.pos + 1)))) return this.numeral(start, line);
      if (c === 34 || c === 39) return this.quoted(c, start, line);
      if (c === 91) {
        const level = this.longBracketLevel();
        if (level >= 0) {
          const value = this.longString(level, false);
          return { type: 'string', value, num: 0, raw: src.slice(start, this.pos), line };
        }
        if (level === -1) {
          this.pos++;
          return this.symbol('[', line);
        }
        this.error('invalid long string delimiter', src.slice(start, this.pos));
      }
      const two = src.slice(this.pos, this.pos + 2);
      if (two === '==' || two === '~=' || two === '<=' || two === '>=') {
        this.pos += 2;
        return this.symbol(two, line);
      }
      if (c === 46) {
        if (src.startsWith('...', this.pos)) {
          this.pos += 3;
          return this.symbol('...', line);
        }
        if (two === '..') {
          this.pos += 2;
          return this.symbol('..', line);
        }
        this.pos++;
        return this.symbol('.', line);
      }
      this.pos++;
      const ch = src[start];
      return { type: 'symbol', value: ch, num: 0, raw: c < 32 || c === 127 ? `char(${c})` : ch, line };
    }
  }

  private symbol(value: string, line: number): Token {
    return { type: 'symbol', value, num: 0, raw: value, line };
  }

  /** At '[': the level of a long bracket `[==[`, -1 for a lone '[', -2 for `[=` without the second '['. */
  private longBracketLevel(): number {
    let p = this.pos + 1;
    let level = 0;
    while (this.code(p) === 61) {
      p++;
      level++;
    }
    if (this.code(p) === 91) return level;
    return level === 0 ? -1 : -2;
  }

  private longString(level: number, comment: boolean): string {
    this.pos += level + 2;
    const c = this.code();
    if (c === 10 || c === 13) this.newline();
    let value = '';
    let chunkStart = this.pos;
    for (;;) {
      const ch = this.code();
      if (ch === -1) this.error(comment ? 'unfinished long comment' : 'unfinished long string', '<eof>');
      if (ch === 93) {
        let p = this.pos + 1;
        let l = 0;
        while (this.code(p) === 61) {
          p++;
          l++;
        }
        if (l === level && this.code(p) === 93) {
          value += this.src.slice(chunkStart, this.pos);
          this.pos = p + 1;
          return value;
        }
        this.pos++;
      } else if (ch === 91 && level === 0 && this.code(this.pos + 1) === 91) {
        this.pos += 2;
        this.error('nesting of [[...]] is deprecated', '[');
      } else if (ch === 10 || ch === 13) {
        value += this.src.slice(chunkStart, this.pos) + '\n';
        this.newline();
        chunkStart = this.pos;
      } else {
        this.pos++;
      }
    }
  }

  private numeral(start: number, line: number): Token {
    while (isDigit(this.code()) || this.code() === 46) this.pos++;
    const e = this.code();
    if (e === 69 || e === 101) {
      this.pos++;
      if (this.code() === 43 || this.code() === 45) this.pos++;
    }
    while (isAlnum(this.code())) this.pos++;
    const raw = this.src.slice(start, this.pos);
    const n = stringToNumber(raw);
    if (n === undefined) this.error('malformed number', raw);
    return { type: 'number', value: raw, num: n, raw, line };
  }

  private quoted(quote: number, start: number, line: number): Token {
    this.pos++;
    let value = '';
    for (;;) {
      const c = this.code();
      if (c === quote) {
        this.pos++;
        break;
      }
      if (c === -1) this.error('unfinished string', '<eof>');
      if (c === 10 || c === 13) this.error('unfinished string', this.src.slice(start, this.pos), this.line);
      if (c === 92) {
        this.pos++;
        const e = this.code();
        switch (e) {
          case 97: value += '\x07'; this.pos++; break;
          case 98: value += '\b'; this.pos++; break;
          case 102: value += '\f'; this.pos++; break;
          case 110: value += '\n'; this.pos++; break;
          case 114: value += '\r'; this.pos++; break;
          case 116: value += '\t'; this.pos++; break;
          case 118: value += '\v'; this.pos++; break;
          case 10:
          case 13:
            value += '\n';
            this.newline();
            break;
          case -1:
            continue;
          default:
            if (isDigit(e)) {
              let n = 0;
              let i = 0;
              while (i < 3 && isDigit(this.code())) {
                n = n * 10 + this.code() - 48;
                this.pos++;
                i++;
              }
              if (n > 255) this.error('escape sequence too large', this.src.slice(start, this.pos));
              value += String.fromCharCode(n);
            } else {
              value += this.src[this.pos];
              this.pos++;
            }
        }
        continue;
      }
      value += this.src[this.pos];
      this.pos++;
    }
    return { type: 'string', value, num: 0, raw: this.src.slice(start, this.pos), line };
  }
}

interface FunctionScope {
  vararg: boolean;
  activeLocals: number;
}

const BINARY_PRIORITY: Record<string, [number, number]> = {
  '+': [6, 6], '-': [6, 6], '*': [7, 7], '/': [7, 7], '%': [7, 7],
  '^': [10, 9], '..': [5, 4],
  '==': [3, 3], '~=': [3, 3], '<': [3, 3], '<=': [3, 3], '>': [3, 3], '>=': [3, 3],
  and: [2, 2], or: [1, 1],
};
const UNARY_PRIORITY = 8;

class Parser {
  private tok: Token;
  private ahead: Token | undefined;
  private lastLine = 1;
  private levels = 0;
  private fs: FunctionScope = { vararg: true, activeLocals: 0 };

  constructor(private readonly lx: Lexer) {
    this.tok = lx.next();
  }

  private error(message: string, token: Token | undefined = this.tok): never {
    // A NUL byte is token 0, which PUC's luaX_lexerror takes for "no token": no "near" part.
    const near = token === undefined || token.raw === 'char(0)' ? undefined : token.raw;
    this.lx.error(message, near, token?.line ?? this.lx.line);
  }

  private advance(): void {
    this.lastLine = this.tok.line;
    if (this.ahead !== undefined) {
      this.tok = this.ahead;
      this.ahead = undefined;
    } else {
      this.tok = this.lx.next();
    }
  }

  private peek(): Token {
    this.ahead ??= this.lx.next();
    return this.ahead;
  }

  private is(value: string): boolean {
    return (this.tok.type === 'symbol' || this.tok.type === 'keyword') && this.tok.value === value;
  }

  private accept(value: string): boolean {
    if (!this.is(value)) return false;
    this.advance();
    return true;
  }

  private expect(value: string): void {
    if (!this.accept(value)) this.error(`'${value}' expected`);
  }

  /** check_match: a closing token, naming the opener when it is on another line. */
  private expectMatch(what: string, who: string, line: number): void {
    if (this.accept(what)) return;
    if (line === this.tok.line) this.error(`'${what}' expected`);
    this.error(`'${what}' expected (to close '${who}' at line ${line})`);
  }

  private name(): string {
    if (this.tok.type !== 'name') this.error('<name> expected');
    const n = this.tok.value;
    this.advance();
    return n;
  }

  private enterLevel(): void {
    if (++this.levels > MAX_LEVELS) this.error('chunk has too many syntax levels', this.tok);
  }

  private leaveLevel(): void {
    this.levels--;
  }

  private declareLocals(n: number): void {
    this.fs.activeLocals += n;
    if (this.fs.activeLocals > MAX_LOCALS) this.error('too many local variables');
  }

  chunk(): Block {
    const body = this.block();
    if (this.tok.type !== 'eof') this.error("'<eof>' expected");
    return body;
  }

  private blockFollows(): boolean {
    if (this.tok.type === 'eof') return true;
    if (this.tok.type !== 'keyword') return false;
    const v = this.tok.value;
    return v === 'else' || v === 'elseif' || v === 'end' || v === 'until';
  }

  private block(): Block {
    const saved = this.fs.activeLocals;
    this.enterLevel();
    const stats: Stat[] = [];
    while (!this.blockFollows()) {
      if (this.is('return')) {
        stats.push(this.returnStat());
        break;
      }
      if (this.is('break')) {
        const line = this.tok.line;
        this.advance();
        stats.push({ kind: 'Break', line });
        this.accept(';');
        break;
      }
      stats.push(this.statement());
      this.accept(';');
    }
    this.leaveLevel();
    this.fs.activeLocals = saved;
    return stats;
  }

  private returnStat(): Stat {
    const line = this.tok.line;
    this.advance();
    let list: { values: Expr[]; valueLines: number[] } = { values: [], valueLines: [] };
    if (!this.blockFollows() && !this.is(';')) list = this.exprListWithLines();
    this.accept(';');
    return { kind: 'Return', ...list, line };
  }

  private statement(): Stat {
    const line = this.tok.line;
    if (this.tok.type === 'keyword') {
      switch (this.tok.value) {
        case 'if':
          return this.ifStat(line);
        case 'while': {
          this.advance();
          const cond = this.expr();
          this.expect('do');
          const body = this.block();
          this.expectMatch('end', 'while', line);
          return { kind: 'While', cond, body, line };
        }
        case 'do': {
          this.advance();
          const body = this.block();
          this.expectMatch('end', 'do', line);
          return { kind: 'Do', body, line };
        }
        case 'for':
          return this.forStat(line);
        case 'repeat': {
          this.advance();
          const saved = this.fs.activeLocals;
          this.enterLevel();
          const body: Stat[] = [];
          while (!this.blockFollows()) {
            if (this.is('return')) {
              body.push(this.returnStat());
              break;
            }
            if (this.is('break')) {
              body.push({ kind: 'Break', line: this.tok.line });
              this.advance();
              this.accept(';');
              break;
            }
            body.push(this.statement());
            this.accept(';');
          }
          this.expectMatch('until', 'repeat', line);
          const cond = this.expr();
          this.leaveLevel();
          this.fs.activeLocals = saved;
          return { kind: 'Repeat', body, cond, line };
        }
        case 'function':
          return this.functionStat(line);
        case 'local':
          this.advance();
          if (this.accept('function')) {
            const name = this.name();
            this.declareLocals(1);
            const func = this.functionBody(false, line);
            return { kind: 'LocalFunction', name, func, line };
          }
          return this.localStat(line);
        default:
          break;
      }
    }
    return this.exprStat(line);
  }

  private ifStat(line: number): Stat {
    const clauses: { cond: Expr; body: Block; exitLine: number }[] = [];
    this.advance();
    let cond = this.expr();
    this.expect('then');
    clauses.push({ cond, body: this.block(), exitLine: this.lastLine });
    let orelse: Block | undefined;
    while (this.is('elseif')) {
      this.advance();
      cond = this.expr();
      this.expect('then');
      clauses.push({ cond, body: this.block(), exitLine: this.lastLine });
    }
    if (this.accept('else')) orelse = this.block();
    this.expectMatch('end', 'if', line);
    return { kind: 'If', clauses, orelse, line };
  }

  private forStat(line: number): Stat {
    this.advance();
    const first = this.name();
    if (this.is('=')) {
      this.advance();
      const start = this.expr();
      this.expect(',');
      const limit = this.expr();
      const step = this.accept(',') ? this.expr() : undefined;
      const doLine = this.tok.line;
      this.expect('do');
      const saved = this.fs.activeLocals;
      this.declareLocals(4);
      const body = this.block();
      this.fs.activeLocals = saved;
      this.expectMatch('end', 'for', line);
      return { kind: 'NumericFor', name: first, start, limit, step, body, line, doLine };
    }
    if (this.is(',') || this.is('in')) {
      const names = [first];
      while (this.accept(',')) names.push(this.name());
      this.expect('in');
      const { values: exprs, valueLines } = this.exprListWithLines();
      const doLine = this.tok.line;
      this.expect('do');
      const saved = this.fs.activeLocals;
      this.declareLocals(3 + names.length);
      const body = this.block();
      this.fs.activeLocals = saved;
      this.expectMatch('end', 'for', line);
      return { kind: 'GenericFor', names, exprs, valueLines, body, line, doLine };
    }
    this.error("'=' or 'in' expected");
  }

  private functionStat(line: number): Stat {
    this.advance();
    const nameLine = this.tok.line;
    let target: NameExpr | IndexExpr = { kind: 'Name', name: this.name(), line: nameLine };
    let method = false;
    while (this.is('.') || this.is(':')) {
      method = this.is(':');
      this.advance();
      const keyLine = this.tok.line;
      const key = this.name();
      target = { kind: 'Index', object: target, key: { kind: 'String', value: key, line: keyLine }, line: keyLine };
      if (method) break;
    }
    const func = this.functionBody(method, line);
    return { kind: 'Assign', targets: [target], values: [func], valueLines: [func.endLine], line: func.line, functionStat: true };
  }

  private localStat(line: number): Stat {
    const names = [this.name()];
    while (this.accept(',')) names.push(this.name());
    const list = this.accept('=') ? this.exprListWithLines() : { values: [], valueLines: [] };
    this.declareLocals(names.length);
    return { kind: 'Local', names, ...list, line };
  }

  private exprStat(line: number): Stat {
    const e = this.suffixedExpr();
    // As lparser.c: anything but a call is an assignment, whose first target must be assignable.
    if (e.kind !== 'Call' && e.kind !== 'MethodCall') {
      const targets: (NameExpr | IndexExpr)[] = [this.assignable(e)];
      while (this.accept(',')) targets.push(this.assignable(this.suffixedExpr()));
      this.expect('=');
      return { kind: 'Assign', targets, ...this.exprListWithLines(), line };
    }
    return { kind: 'CallStat', call: e, line };
  }

  private assignable(e: Expr): NameExpr | IndexExpr {
    if (e.kind === 'Name' || e.kind === 'Index') return e;
    this.error('syntax error');
  }

  private functionBody(method: boolean, line: number): FunctionBody {
    const outer = this.fs;
    this.fs = { vararg: false, activeLocals: 0 };
    this.enterLevel();
    const params: string[] = method ? ['self'] : [];
    let isVararg = false;
    this.expect('(');
    if (!this.is(')')) {
      do {
        if (this.is('...')) {
          this.advance();
          isVararg = true;
          break;
        }
        if (this.tok.type !== 'name') this.error('<name> expected');
        params.push(this.name());
      } while (this.accept(','));
    }
    this.declareLocals(params.length);
    this.fs.vararg = isVararg;
    this.expect(')');
    const body = this.block();
    const endLine = this.tok.line;
    this.expectMatch('end', 'function', line);
    this.leaveLevel();
    this.fs = outer;
    return { kind: 'Function', params, isVararg, body, line, endLine };
  }

  private exprList(): Expr[] {
    return this.exprListWithLines().values;
  }

  /** An expression list and, per value, the line of the comma after it or, for the last, of its own last token. */
  private exprListWithLines(): { values: Expr[]; valueLines: number[] } {
    const values = [this.expr()];
    const valueLines: number[] = [];
    while (this.accept(',')) {
      valueLines.push(this.lastLine);
      values.push(this.expr());
    }
    valueLines.push(this.lastLine);
    return { values, valueLines };
  }

  expr(limit = 0): Expr {
    this.enterLevel();
    let left: Expr;
    const t = this.tok;
    if ((t.type === 'keyword' && t.value === 'not') || (t.type === 'symbol' && (t.value === '-' || t.value === '#'))) {
      this.advance();
      const operand = this.expr(UNARY_PRIORITY);
      left = { kind: 'Unary', op: t.value as 'not' | '-' | '#', operand, line: t.line };
    } else {
      left = this.simpleExpr();
    }
    for (;;) {
      const op = this.tok;
      if (op.type !== 'symbol' && op.type !== 'keyword') break;
      const prio = BINARY_PRIORITY[op.value];
      if (prio === undefined || prio[0] <= limit) break;
      this.advance();
      const right = this.expr(prio[1]);
      left = { kind: 'Binary', op: op.value as BinaryOp, left, right, line: this.lastLine, opLine: op.line };
    }
    this.leaveLevel();
    return left;
  }

  private simpleExpr(): Expr {
    const t = this.tok;
    const line = t.line;
    switch (t.type) {
      case 'number':
        this.advance();
        return { kind: 'Number', value: t.num, line };
      case 'string':
        this.advance();
        return { kind: 'String', value: t.value, line };
      case 'keyword':
        switch (t.value) {
          case 'nil':
            this.advance();
            return { kind: 'Nil', line };
          case 'true':
            this.advance();
            return { kind: 'True', line };
          case 'false':
            this.advance();
            return { kind: 'False', line };
          case 'function':
            this.advance();
            return this.functionBody(false, line);
          default:
            break;
        }
        break;
      case 'symbol':
        if (t.value === '...') {
          if (!this.fs.vararg) this.error("cannot use '...' outside a vararg function");
          // Lua emits its instruction before reading past it: on the line of the token before it.
          const at = this.lastLine;
          this.advance();
          return { kind: 'Vararg', line: at };
        }
        if (t.value === '{') return this.table();
        break;
      default:
        break;
    }
    return this.suffixedExpr();
  }

  private primaryExpr(): Expr {
    const t = this.tok;
    if (t.type === 'name') {
      this.advance();
      return { kind: 'Name', name: t.value, line: t.line };
    }
    if (this.is('(')) {
      const line = t.line;
      this.advance();
      const inner = this.expr();
      this.expectMatch(')', '(', line);
      return { kind: 'Paren', expr: inner, line, end: this.lastLine };
    }
    this.error('unexpected symbol');
  }

  private suffixedExpr(): Expr {
    let e = this.primaryExpr();
    let depth = 0;
    for (;;) {
      if (++depth > MAX_LEVELS * 50) this.error('chunk has too many syntax levels');
      const t = this.tok;
      if (t.type === 'symbol') {
        if (t.value === '.') {
          this.advance();
          const keyLine = this.tok.line;
          const key = this.name();
          e = { kind: 'Index', object: e, key: { kind: 'String', value: key, line: keyLine }, line: keyLine };
          continue;
        }
        if (t.value === '[') {
          this.advance();
          const key = this.expr();
          this.expect(']');
          e = { kind: 'Index', object: e, key, line: this.lastLine };
          continue;
        }
        if (t.value === ':') {
          this.advance();
          const methodLine = this.tok.line;
          const method = this.name();
          const line = this.lastLine;
          const { args, argLines } = this.callArgs();
          e = { kind: 'MethodCall', object: e, method, methodLine, args, argLines, line, end: this.lastLine };
          continue;
        }
        if (t.value === '(' || t.value === '{') {
          const line = this.lastLine;
          const { args, argLines } = this.callArgs();
          e = { kind: 'Call', callee: e, args, argLines, line, end: this.lastLine };
          continue;
        }
      } else if (t.type === 'string') {
        const line = this.lastLine;
        const { args, argLines } = this.callArgs();
        e = { kind: 'Call', callee: e, args, argLines, line, end: this.lastLine };
        continue;
      }
      return e;
    }
  }

  /** A call's arguments and, for each, the line of the token after it (see TableItem's `at`). */
  private callArgs(): { args: Expr[]; argLines: number[] } {
    const t = this.tok;
    if (t.type === 'string') {
      this.advance();
      return { args: [{ kind: 'String', value: t.value, line: t.line }], argLines: [t.line] };
    }
    if (this.is('{')) return { args: [this.table()], argLines: [this.lastLine] };
    if (this.is('(')) {
      if (t.line !== this.lastLine) this.error('ambiguous syntax (function call x new statement)');
      const line = t.line;
      this.advance();
      const args: Expr[] = [];
      const argLines: number[] = [];
      if (!this.is(')')) {
        args.push(this.expr());
        while (this.accept(',')) {
          argLines.push(this.lastLine);
          args.push(this.expr());
        }
      }
      this.expectMatch(')', '(', line);
      if (args.length > 0) argLines.push(this.lastLine);
      return { args, argLines };
    }
    this.error('function arguments expected');
  }

  private table(): Expr {
    const line = this.tok.line;
    this.expect('{');
    this.enterLevel();
    const items: TableItem[] = [];
    // A positional value is loaded once the separator after it is read; a keyed one is stored at once.
    let open: { kind: 'Positional'; value: Expr; at: number } | undefined;
    while (!this.is('}')) {
      if (this.tok.type === 'name' && this.peek().type === 'symbol' && this.peek().value === '=') {
        const keyLine = this.tok.line;
        const key = this.name();
        this.advance();
        const value = this.expr();
        items.push({ kind: 'Keyed', key: { kind: 'String', value: key, line: keyLine }, value, at: this.lastLine });
      } else if (this.is('[')) {
        this.advance();
        const key = this.expr();
        this.expect(']');
        this.expect('=');
        const value = this.expr();
        items.push({ kind: 'Keyed', key, value, at: this.lastLine });
      } else {
        open = { kind: 'Positional', value: this.expr(), at: 0 };
        items.push(open);
      }
      const more = this.accept(',') || this.accept(';');
      if (open !== undefined) open.at = this.lastLine;
      open = undefined;
      if (!more) break;
    }
    this.expectMatch('}', '{', line);
    const last = items[items.length - 1];
    if (last?.kind === 'Positional') last.at = this.lastLine;
    this.leaveLevel();
    return { kind: 'Table', items, line, end: this.lastLine };
  }
}

/** Parses a chunk; `chunkName` prefixes error messages ("user_script"). Throws LuaError on a syntax error. */
export function parse(source: string, chunkName: string): Block {
  return new Parser(new Lexer(source, chunkName)).chunk();
}
