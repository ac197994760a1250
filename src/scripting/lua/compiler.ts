/**
 * Compiles a Lua 5.1 syntax tree into the source of one JS function, which V8
 * then optimises like any other hot code.
 *
 * No Lua text reaches the JS source except through JSON.stringify: Lua locals
 * become generated names (L1, L2, ...), temporaries T1..., varargs VA1...,
 * and the runtime's operations are bound to `$`-prefixed constants, a
 * character no Lua name can contain. Globals are keys of the globals table,
 * so no Lua name can reach a JS global or object.
 */
import type { Block, Expr, FunctionBody, IndexExpr, NameExpr, Stat, TableItem } from './ast.js';
import { fb2intRound } from './table.js';

/** Lua's LFIELDS_PER_FLUSH: a constructor stores its positional items in batches of this size. */
const FIELDS_PER_FLUSH = 50;

interface LocalVar {
  js: string;
  fn: FunctionState;
}

class Scope {
  /** What each name resolves to here: its latest declaration. */
  readonly vars = new Map<string, LocalVar>();
  /** Every declaration in order, a name declared again included: the debugger lists them all, as Lua does. */
  readonly declared: [string, LocalVar][] = [];
  constructor(readonly parent: Scope | undefined) {}

  add(name: string, v: LocalVar): void {
    this.vars.set(name, v);
    this.declared.push([name, v]);
  }
}

class FunctionState {
  temps = 0;
  /** Debug builds: the `local`s without values (or nil ones) opening the function, which Lua compiles to no instruction, so no line event. */
  silentLocals = 0;
  constructor(
    readonly parent: FunctionState | undefined,
    readonly vararg: string | undefined,
  ) {}
}

const BINARY_HELPERS: Record<string, string> = {
  '+': '$add',
  '-': '$sub',
  '*': '$mul',
  '/': '$div',
  '%': '$mod',
  '^': '$pow',
  '..': '$cat',
};

/** The operations the generated code binds as constants; see runtime.ts. */
export const RUNTIME_NAMES = [
  'index', 'indexStr', 'setIndex', 'callMeta', 'rawSetChecked', 'setList',
  'add', 'sub', 'mul', 'div', 'mod', 'pow', 'neg', 'len', 'concat',
  'eq', 'lt', 'le', 'truthy', 'forNumber', 'newTable', 'budgetSpent',
  'debugEnter', 'debugExit', 'debugLine', 'debugFunction', 'debugIsLua',
] as const;

const PREAMBLE_BINDINGS: Record<(typeof RUNTIME_NAMES)[number], string> = {
  index: '$idx',
  indexStr: '$idxs',
  setIndex: '$set',
  callMeta: '$cm',
  rawSetChecked: '$rs',
  setList: '$sl',
  add: '$add',
  sub: '$sub',
  mul: '$mul',
  div: '$div',
  mod: '$mod',
  pow: '$pow',
  neg: '$neg',
  len: '$len',
  concat: '$cat',
  eq: '$eq',
  lt: '$lt',
  le: '$le',
  truthy: '$tr',
  forNumber: '$fn',
  newTable: '$nt',
  budgetSpent: '$bs',
  debugEnter: '$dE',
  debugExit: '$dX',
  debugLine: '$dl',
  debugFunction: '$dF',
  debugIsLua: '$dI',
};

function isMulti(e: Expr): boolean {
  return e.kind === 'Call' || e.kind === 'MethodCall' || e.kind === 'Vararg';
}

/** A literal nil, boolean, number or string. */
function isConstant(e: Expr): boolean {
  return e.kind === 'Nil' || e.kind === 'True' || e.kind === 'False' || e.kind === 'Number' || e.kind === 'String';
}

/** Expressions whose evaluation cannot run Lua code or move the error position. */
function isSimple(e: Expr): boolean {
  if (isConstant(e)) return true;
  switch (e.kind) {
    case 'Vararg':
    case 'Function':
    case 'Name':
      return true;
    case 'Paren':
      return isSimple(e.expr);
    default:
      return false;
  }
}

/** The line of an expression's last token. */
function endLine(e: Expr): number {
  switch (e.kind) {
    case 'Call':
    case 'MethodCall':
    case 'Table':
    case 'Paren':
      return e.end;
    case 'Function':
      return e.endLine;
    case 'Unary':
      return endLine(e.operand);
    default:
      return e.line;
  }
}

/**
 * An and/or operand that takes no instruction of its own where `op` tests
 * it: a comparison's jump is its test; `and` needs none for a constant
 * that is true, `or` none for nil and false.
 */
function untested(e: Expr, op: 'and' | 'or'): boolean {
  switch (e.kind) {
    case 'Paren':
      return untested(e.expr, op);
    case 'Binary':
      // An and/or's value is its right operand's, jumps aside.
      if (e.op === 'and' || e.op === 'or') return untested(e.right, op);
      return ['==', '~=', '<', '<=', '>', '>='].includes(e.op);
    case 'Unary':
      return e.op === 'not' && untested(e.operand, op);
    case 'True':
    case 'Number':
    case 'String':
      return op === 'and';
    case 'Nil':
    case 'False':
      return op === 'or';
    default:
      return false;
  }
}

/** An and/or operand made only of constants that `op` and the operators inside it need not test. */
function emitsNothing(e: Expr, op: 'and' | 'or'): boolean {
  switch (e.kind) {
    case 'Paren':
      return emitsNothing(e.expr, op);
    case 'Binary':
      return (e.op === 'and' || e.op === 'or') && emitsNothing(e.left, e.op) && emitsNothing(e.right, op);
    default:
      return isConstant(e) && untested(e, op);
  }
}

/** A value Lua 5.1 loads only where it is used (a constant, a variable, a field), so on the line of the token after it. */
function isLazy(e: Expr): boolean {
  if (e.kind === 'Paren') return isLazy(e.expr);
  return isConstant(e) || e.kind === 'Name' || e.kind === 'Index';
}

function numberLiteral(n: number): string {
  if (n === Infinity) return '(1/0)';
  if (n === -Infinity) return '(-1/0)';
  if (Object.is(n, -0)) return '(-0)';
  return String(n);
}

/**
 * The generated source: `R` holds the runtime bindings, `G` the globals table,
 * `W` the error-position cell and `C` the periodic-check control; the body
 * returns the chunk's main function.
 */
export function generate(block: Block, chunkName: string, debug = false): string {
  return new Generator(chunkName, debug).chunk(block);
}

class Generator {
  private scope: Scope = new Scope(undefined);
  private fn: FunctionState = new FunctionState(undefined, undefined);
  private nextId = 0;
  private readonly positions = new Map<number, string>();

  /**
   * `debug`: the chunk reports each new line it reaches, as Lua's line hook
   * sees it (a new line, a loop's jump back, a function's implicit return),
   * with a frame per call and its active locals, for the script debugger.
   * Scripts that are not debugged never pay for it: they compile without.
   */
  constructor(
    private readonly chunkName: string,
    private readonly debug: boolean,
  ) {}

  chunk(block: Block): string {
    const va = this.newName('VA');
    this.fn = new FunctionState(undefined, va);
    const body = this.functionBody(block, 1, undefined, '');
    const bindings = RUNTIME_NAMES.map((n) => `${n}: ${PREAMBLE_BINDINGS[n]}`).join(', ');
    let pre = `"use strict";\nconst { ${bindings} } = R;\nconst $W = W, $C = C, $G = G, $E = R.none;\n`;
    for (const [line, name] of this.positions) pre += `const ${name} = ${JSON.stringify(`${this.chunkName}:${line}: `)};\n`;
    return `${pre}return function main(...${va}) {\n${body}};\n`;
  }

  private newName(prefix: string): string {
    return prefix + ++this.nextId;
  }

  private temp(): string {
    return 'T' + ++this.fn.temps;
  }

  private pos(line: number): string {
    let name = this.positions.get(line);
    if (name === undefined) {
      name = `P${line}`;
      this.positions.set(line, name);
    }
    return name;
  }

  /** The periodic check at a loop back-edge or function entry; the line is where an abort is reported. */
  private check(line: number): string {
    return `if (--$C.budget < 0) $bs(${this.pos(line)});\n`;
  }

  /** `endLine`: where a function's implicit return is (the main chunk's has no line event of its own). */
  private functionBody(block: Block, line: number, endLine: number | undefined, name: string): string {
    while (this.fn.silentLocals < block.length) {
      const s = block[this.fn.silentLocals];
      if (s.kind !== 'Local' || !s.values.every((v) => v.kind === 'Nil')) break;
      this.fn.silentLocals++;
    }
    let code = this.block(block);
    let temps = '';
    if (this.fn.temps > 0) {
      const names: string[] = [];
      for (let i = 1; i <= this.fn.temps; i++) names.push('T' + i);
      temps = `let ${names.join(', ')};\n`;
    }
    if (!this.debug) return `${this.check(line)}${temps}${code}return $E;\n`;
    const last = block[block.length - 1];
    if (endLine !== undefined && last?.kind !== 'Return') code += this.lineEvent(endLine, false);
    return `${this.check(line)}${temps}const $fr = $dE(${JSON.stringify(name)});\ntry {\n${code}return $E;\n} finally {\n$dX($fr);\n}\n`;
  }

  /**
   * Debug builds only: the line event before code of `line`. Lua's hook fires
   * on a change of line, or always (`force`) on a jump back to a loop's test.
   * The event carries the locals active here, in declaration order.
   */
  private lineEvent(line: number, force: boolean): string {
    if (!this.debug) return '';
    const event = `$dl($fr, ${line}, ${this.activeVars()});\n`;
    return force ? event : `if ($fr.line !== ${line}) ${event}`;
  }

  /** Debug builds: the locals active here for a line event, in declaration order (shadowed ones too, as Lua lists them). */
  private activeVars(): string {
    const vars: string[] = [];
    const scopes: Scope[] = [];
    for (let sc: Scope | undefined = this.scope; sc !== undefined; sc = sc.parent) scopes.unshift(sc);
    for (const sc of scopes) {
      for (const [name, v] of sc.declared) if (v.fn === this.fn) vars.push(`${JSON.stringify(name)}, ${v.js}`);
    }
    return `() => [${vars.join(', ')}]`;
  }

  /**
   * Debug builds: `code` preceded by the line event of an instruction on
   * `line` inside a statement, for statements that span lines (a call's
   * arguments, a table's fields). Values that Lua loads lazily (constants,
   * variables, fields) are loaded on the line of the token after them.
   */
  private markBefore(line: number, code: string): string {
    if (!this.debug) return code;
    return `(${this.mark(line)}, ${code})`;
  }

  /** Debug builds: `code`, then the line event of the instruction that uses its value (a call, an operator). */
  private markAfter(line: number, code: string): string {
    if (!this.debug) return code;
    const t = this.temp();
    return `(${t} = ${code}, ${this.mark(line)}, ${t})`;
  }

  /** The line event of an instruction inside an expression (debug builds only). */
  private mark(line: number): string {
    return `($fr.line !== ${line} && $dl($fr, ${line}, ${this.activeVars()}))`;
  }

  /** An argument or field value, marked with the line Lua loads it on when it is loaded lazily. */
  private loaded(e: Expr, line: number): string {
    if (!this.debug || !isLazy(e)) return this.expr(e);
    if (e.kind === 'Paren') return this.loaded(e.expr, line);
    // A field is looked up once its table and key are: that lookup is what lands on `line`.
    if (e.kind === 'Index') return this.index(e, line);
    return this.markBefore(line, this.expr(e));
  }

  /**
   * Where a `for` loop's jump back lands, which reports itself each iteration
   * even on the same line: its body's first statement (the `for` line when empty).
   */
  private firstLine(body: Block, line: number): number {
    return this.debug && body.length > 0 ? this.statementLine(body[0]) : line;
  }

  /** A condition Lua's code generator drops, as a constant that is always true. */
  private static alwaysTrue(e: Expr): boolean {
    return e.kind === 'True' || e.kind === 'Number' || e.kind === 'String';
  }

  /** The line Lua's first instruction of a statement carries: a function value is made at its `end`. */
  private static statLine(s: Stat): number {
    if (s.kind === 'LocalFunction') return s.func.endLine;
    if ((s.kind === 'Local' || s.kind === 'Assign') && s.values[0]?.kind === 'Function') return s.values[0].endLine;
    return s.line;
  }

  /**
   * Debug builds: the line of a statement's first instruction, where Lua's
   * line hook sees it begin. Lua loads constants and variables only where
   * they are used, on the line of the token after them, so a statement that
   * spans lines may begin on a later one (`t.x =\n 5` on its second).
   */
  private statementLine(s: Stat): number {
    switch (s.kind) {
      case 'Local':
        return s.values.length === 0 ? s.line : (this.firstInstr(s.values[0], 'reg', s.valueLines[0]) ?? s.line);
      case 'Assign': {
        const target = s.targets[0];
        const value = s.values[0];
        if (value.kind === 'Function') return value.endLine;
        const at = s.valueLines[0];
        if (target.kind === 'Name') {
          const v = this.resolve(target.name);
          return (v !== undefined && v.fn === this.fn ? this.firstInstr(value, 'reg', at) : this.firstInstr(value, 'any', at)) ?? at;
        }
        return (
          this.firstInstr(target.object, 'any', endLine(target.object)) ??
          this.firstInstr(target.key, 'rk', endLine(target.key)) ??
          this.firstInstr(value, 'rk', at) ??
          at
        );
      }
      case 'Return':
        if (s.values.length === 0) return s.line;
        return this.firstInstr(s.values[0], s.values.length === 1 ? 'any' : 'reg', s.valueLines[0]) ?? s.valueLines[0];
      case 'CallStat':
        return this.firstInstr(s.call, 'reg', s.call.end) ?? s.line;
      case 'While':
        return this.condLine(s.cond);
      case 'If':
        return this.condLine(s.clauses[0].cond);
      default:
        return Generator.statLine(s);
    }
  }

  /** The line of a condition's first instruction. */
  private condLine(cond: Expr): number {
    return this.firstInstr(cond, 'reg', endLine(cond)) ?? endLine(cond);
  }

  /**
   * The line of the first instruction Lua 5.1 emits for `e`, used where it
   * is used: in a register (`reg`: call arguments, locals' values), in any
   * register (`any`: an indexed table), or as an operand that may stay a
   * constant or a local's register (`rk`); `at` is the line it is loaded on.
   * Undefined when it takes no instruction.
   */
  private firstInstr(e: Expr, ctx: 'reg' | 'any' | 'rk', at: number): number | undefined {
    switch (e.kind) {
      case 'Nil':
      case 'True':
      case 'False':
      case 'Number':
      case 'String':
        return ctx === 'rk' ? undefined : at;
      case 'Vararg':
        return e.line;
      case 'Function':
        return e.endLine;
      case 'Table':
        return e.line;
      case 'Name': {
        const v = this.resolve(e.name);
        if (v === undefined || v.fn !== this.fn) return at;
        return ctx === 'reg' ? at : undefined;
      }
      case 'Paren':
        return this.firstInstr(e.expr, ctx, at);
      case 'Index':
        return this.firstInstr(e.object, 'any', endLine(e.object)) ?? this.firstInstr(e.key, 'rk', endLine(e.key)) ?? at;
      case 'Call':
        return this.firstInstr(e.callee, 'reg', endLine(e.callee)) ?? e.line;
      case 'MethodCall':
        return this.firstInstr(e.object, 'any', endLine(e.object)) ?? e.methodLine;
      case 'Unary': {
        if (e.op === '-' && e.operand.kind === 'Number') return ctx === 'rk' ? undefined : at;
        const end = endLine(e.operand);
        return this.firstInstr(e.operand, 'any', end) ?? end;
      }
      case 'Binary':
        if (e.op === 'and' || e.op === 'or') {
          // Constants the operators need not test take no instruction: the right operand comes first.
          if (emitsNothing(e.left, e.op)) return this.firstInstr(e.right, ctx, at);
          return this.firstInstr(e.left, 'reg', e.opLine) ?? e.opLine;
        }
        if (e.op === '..') return this.firstInstr(e.left, 'reg', e.opLine) ?? e.opLine;
        if (e.left.kind === 'Number' && e.right.kind === 'Number' && !['==', '~=', '<', '<=', '>', '>='].includes(e.op)) {
          return ctx === 'rk' ? undefined : at;
        }
        return this.firstInstr(e.left, 'rk', e.opLine) ?? this.firstInstr(e.right, 'rk', e.line) ?? e.line;
    }
  }

  private withScope<T>(f: () => T): T {
    this.scope = new Scope(this.scope);
    try {
      return f();
    } finally {
      this.scope = this.scope.parent!;
    }
  }

  private declare(name: string): string {
    const js = this.newName('L');
    this.scope.add(name, { js, fn: this.fn });
    return js;
  }

  /**
   * A loop's internal state as the locals Lua 5.1 declares for it ("(for index)" ...),
   * which its debugger lists. No Lua name contains '(', so no code can resolve them.
   */
  private hideLocals(...vars: [string, string][]): void {
    for (const [name, js] of vars) this.scope.add(name, { js, fn: this.fn });
  }

  private resolve(name: string): LocalVar | undefined {
    for (let s: Scope | undefined = this.scope; s !== undefined; s = s.parent) {
      const v = s.vars.get(name);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  /**
   * Debug builds: the line event of the jump that ends an if's clause, for
   * the trailing if of that clause's body: Lua threads jumps, so that if's
   * own exits jump straight past the clause's jump and only its last branch
   * falls through to it.
   */
  private fallThrough = '';

  /** `exit`: the line event where control falls out of the block (see fallThrough). */
  private block(stats: Block, exit = ''): string {
    return this.withScope(() => this.statements(stats, exit));
  }

  private statements(stats: Block, exit = ''): string {
    let out = '';
    const last = stats[stats.length - 1];
    // A trailing while's exit jumps past the clause's jump too; a trailing if passes the event on to its last branch.
    const threaded = last !== undefined && (last.kind === 'If' || (last.kind === 'While' && !Generator.alwaysTrue(last.cond)));
    let afterNils = false;
    for (const s of stats) {
      this.fallThrough = s === last && last.kind === 'If' ? exit : '';
      // Lua merges the LOADNIL of `local b` into that of a `local a` just before it: no instruction, no line.
      const nils = s.kind === 'Local' && s.values.every((v) => v.kind === 'Nil');
      const merged = nils && afterNils;
      afterNils = nils;
      if (this.fn.silentLocals > 0) this.fn.silentLocals--;
      // `do` and `repeat` compile to no instruction of their own: their bodies report the lines.
      else if (!merged && s.kind !== 'Do' && s.kind !== 'Repeat' && !(s.kind === 'While' && Generator.alwaysTrue(s.cond))) {
        out += this.lineEvent(this.debug ? this.statementLine(s) : 0, false);
      }
      out += this.stat(s);
    }
    this.fallThrough = '';
    return threaded ? out : out + exit;
  }

  // ------------------------------------------------------------ statements

  private stat(s: Stat): string {
    switch (s.kind) {
      case 'Local':
        return this.local(s.names, s.values, s.valueLines);
      case 'Assign':
        return this.assign(s);
      case 'CallStat':
        return this.callCode(s.call) + ';\n';
      case 'Do':
        return `{\n${this.block(s.body)}}\n`;
      case 'While':
        // The jump back goes to the test, on the `while` line; a constant true test is compiled away, so to the body.
        return `while (${this.cond(s.cond)}) {\n${this.check(s.line)}${this.block(s.body)}${this.lineEvent(Generator.alwaysTrue(s.cond) ? this.firstLine(s.body, s.line) : this.debug ? this.condLine(s.cond) : 0, true)}}\n`;
      case 'Repeat':
        return this.withScope(() => {
          // The jump back lands on the body's first line, which reports itself again.
          const again = this.debug ? '$fr.line = 0;\n' : '';
          const body = this.statements(s.body);
          const test = this.lineEvent(this.debug ? this.condLine(s.cond) : 0, false);
          return `while (true) {\n${this.check(s.line)}${again}${body}${test}if (${this.cond(s.cond)}) break;\n}\n`;
        });
      case 'If': {
        let out = '';
        const fallThrough = this.fallThrough;
        this.fallThrough = '';
        s.clauses.forEach((c, i) => {
          const test = i === 0 ? this.cond(c.cond) : this.debug ? `(${this.mark(this.condLine(c.cond))}, ${this.cond(c.cond)})` : this.cond(c.cond);
          // A clause with others after it ends in a jump past them, which runs when its body falls through.
          const exit = i < s.clauses.length - 1 || s.orelse !== undefined ? this.lineEvent(c.exitLine, false) : fallThrough;
          out += `${i === 0 ? 'if' : ' else if'} (${test}) {\n${this.block(c.body, exit)}}`;
        });
        if (s.orelse !== undefined) out += ` else {\n${this.block(s.orelse, fallThrough)}}`;
        return out + '\n';
      }
      case 'NumericFor':
        return this.numericFor(s);
      case 'GenericFor':
        return this.genericFor(s);
      case 'LocalFunction': {
        const js = this.declare(s.name);
        return `let ${js};\n${js} = ${this.functionExpr(s.func, s.name)};\n`;
      }
      case 'Return': {
        const only = s.values[0];
        // A tail call: of a library function, Lua then runs this RETURN, on the line the list ends.
        if (this.debug && s.values.length === 1 && (only.kind === 'Call' || only.kind === 'MethodCall')) return `return ${this.callCode(only, s.valueLines[0])};\n`;
        return `return ${this.valueList(s.values, s.valueLines)};\n`;
      }
      case 'Break':
        return 'break;\n';
    }
  }

  /** An expression's value where Lua loads it into a register on line `at` (a list's value, in debug builds). */
  private value(e: Expr, at: number | undefined): string {
    if (at !== undefined && this.debug && e.kind === 'Binary' && (e.op === 'and' || e.op === 'or')) return this.binary(e, at);
    return at === undefined ? this.expr(e) : this.loaded(e, at);
  }

  private local(names: string[], values: Expr[], valueLines: number[]): string {
    const inits: string[] = [];
    const extra: string[] = [];
    const multiTail = values.length > 0 && isMulti(values[values.length - 1]) && names.length >= values.length;
    const singles = multiTail ? values.length - 1 : values.length;
    // nil values make one LOADNIL, or nothing at all opening a function: no line of their own.
    const lines = values.every((v) => v.kind === 'Nil') ? [] : valueLines;
    for (let i = 0; i < singles; i++) {
      const code = this.value(values[i], lines[i]);
      if (i < names.length) inits.push(code);
      else extra.push(code);
    }
    if (multiTail) {
      const t = this.temp();
      const m = this.multi(values[values.length - 1]);
      for (let i = singles; i < names.length; i++) inits.push(i === singles ? `(${t} = ${m})[0]` : `${t}[${i - singles}]`);
    }
    const decls = names.map((n, i) => {
      const js = this.declare(n);
      return i < inits.length ? `${js} = ${inits[i]}` : js;
    });
    // Values beyond the names are still evaluated, after the ones assigned (none of them can see the new locals).
    return `let ${decls.join(', ')};\n${extra.map((e) => `${e};\n`).join('')}`;
  }

  private assign(s: Extract<Stat, { kind: 'Assign' }>): string {
    const { targets, values, line } = s;
    if (targets.length === 1 && values.length === 1) {
      // `function a.b() end` stores on its `function` line, after the closure made on its `end` line.
      const target = targets[0];
      let value: string;
      if (s.functionStat === true) value = this.markAfter(line, this.expr(values[0]));
      else if (target.kind === 'Name' && this.resolve(target.name)?.fn === this.fn) value = this.value(values[0], s.valueLines[0]);
      // A global or a field is stored by an instruction of its own, after the value.
      else value = this.markAfter(s.valueLines[0], this.value(values[0], s.valueLines[0]));
      return this.store(target, value, line) + ';\n';
    }
    let out = '';
    // Lua evaluates the targets' tables and keys, then all values, then assigns right to left.
    const prepared = targets.map((t) => {
      if (t.kind === 'Name') return t;
      const o = this.temp();
      const k = this.temp();
      out += `${o} = ${this.expr(t.object)};\n${k} = ${this.expr(t.key)};\n`;
      return { target: t, object: o, key: k };
    });
    const valueTemps: string[] = [];
    values.forEach((v, i) => {
      const last = i === values.length - 1;
      if (last && isMulti(v) && targets.length > i) {
        const m = this.temp();
        out += `${m} = ${this.multi(v)};\n`;
        for (let j = i; j < targets.length; j++) valueTemps.push(`${m}[${j - i}]`);
      } else {
        const t = this.temp();
        out += `${t} = ${this.value(v, s.valueLines[i])};\n`;
        valueTemps.push(t);
      }
    });
    for (let i = prepared.length - 1; i >= 0; i--) {
      const p = prepared[i];
      const value = i < valueTemps.length ? valueTemps[i] : 'undefined';
      if ('kind' in p) out += this.store(p, value, line) + ';\n';
      else out += `$set(${p.object}, ${p.key}, ${value}, ${this.pos(p.target.line)}, ${JSON.stringify(this.describe(p.target.object))});\n`;
    }
    return out;
  }

  private store(target: NameExpr | IndexExpr, value: string, line: number): string {
    if (target.kind === 'Name') {
      const v = this.resolve(target.name);
      if (v !== undefined) return `${v.js} = ${value}`;
      return `$set($G, ${JSON.stringify(target.name)}, ${value}, ${this.pos(line)}, "")`;
    }
    return `$set(${this.expr(target.object)}, ${this.expr(target.key)}, ${value}, ${this.pos(target.line)}, ${JSON.stringify(this.describe(target.object))})`;
  }

  private numericFor(s: Extract<Stat, { kind: 'NumericFor' }>): string {
    const p = this.pos(s.line);
    const i = this.temp();
    const limit = this.temp();
    const step = this.temp();
    // Each value is loaded where it ends; a header over several lines then jumps from `do` to the test on the `for` line.
    const start = `$fn(${this.value(s.start, endLine(s.start))}, ${p}, "initial value")`;
    const lim = `$fn(${this.value(s.limit, endLine(s.limit))}, ${p}, "limit")`;
    const st = s.step === undefined ? '1' : `$fn(${this.value(s.step, endLine(s.step))}, ${p}, "step")`;
    const prep = this.debug ? `, ${this.mark(s.doLine)}, ${this.mark(s.line)}` : '';
    const constantStep = s.step === undefined ? 1 : s.step.kind === 'Number' ? s.step.value : undefined;
    const test =
      constantStep === undefined ? `(${step} > 0 ? ${i} <= ${limit} : ${i} >= ${limit})` : constantStep > 0 ? `${i} <= ${limit}` : `${i} >= ${limit}`;
    return this.withScope(() => {
      this.hideLocals(['(for index)', i], ['(for limit)', limit], ['(for step)', step]);
      const v = this.declare(s.name);
      const body = this.block(s.body);
      const back = this.lineEvent(this.firstLine(s.body, s.line), true);
      return `for (${i} = ${start}, ${limit} = ${lim}, ${step} = ${st}${prep}; ${test}; ${i} += ${step}) {\n${this.check(s.line)}let ${v} = ${i};\n${back}${body}${this.lineEvent(s.line, false)}}\n`;
    });
  }

  private genericFor(s: Extract<Stat, { kind: 'GenericFor' }>): string {
    const p = this.pos(s.line);
    const f = this.temp();
    const state = this.temp();
    const control = this.temp();
    const r = this.temp();
    const init = this.temp();
    let out = `${init} = ${this.valueList(s.exprs, s.valueLines)};\n${f} = ${init}[0]; ${state} = ${init}[1]; ${control} = ${init}[2];\n`;
    if (this.debug) out += `${this.mark(s.doLine)};\n${this.mark(s.line)};\n`;
    out += this.withScope(() => {
      this.hideLocals(['(for generator)', f], ['(for state)', state], ['(for control)', control]);
      const names = s.names.map((n) => this.declare(n));
      const call = `(typeof ${f} === 'function' ? ($W.pos = ${p}, ${f}(${state}, ${control})) : $cm(${f}, ${p}, "", [${state}, ${control}]))`;
      let loop = `while (true) {\n${this.check(s.line)}${r} = ${call};\nif (${r}[0] === undefined) break;\n${control} = ${r}[0];\n`;
      loop += `let ${names.map((n, i) => `${n} = ${r}[${i}]`).join(', ')};\n`;
      loop += this.lineEvent(this.firstLine(s.body, s.line), true);
      return loop + this.block(s.body) + this.lineEvent(s.line, false) + '}\n';
    });
    return `{\n${out}}\n`;
  }

  // ------------------------------------------------------------ expressions

  /** Code for an expression list as one array of values (return values, a for's explist). */
  private valueList(values: Expr[], valueLines?: number[]): string {
    if (values.length === 0) return '$E';
    if (values.length === 1 && isMulti(values[0])) return this.multi(values[0]);
    const parts = values.map((v, i) => (i === values.length - 1 && isMulti(v) ? `...${this.multi(v)}` : this.value(v, valueLines?.[i])));
    return `[${parts.join(', ')}]`;
  }

  /** Arguments of a call: all values, the last expanded. */
  private args(values: Expr[]): string {
    return values.map((v, i) => (i === values.length - 1 && isMulti(v) ? `...${this.multi(v)}` : this.expr(v))).join(', ');
  }

  /** Code evaluating to the array of all values of a multi-value expression. */
  private multi(e: Expr): string {
    if (e.kind === 'Vararg') return this.fn.vararg!;
    if (e.kind === 'Call' || e.kind === 'MethodCall') return this.callCode(e);
    return `[${this.expr(e)}]`;
  }

  /** The name Lua's error messages give a value by where it came from. */
  private describe(e: Expr): string {
    if (e.kind === 'Name') {
      const v = this.resolve(e.name);
      if (v === undefined) return `global '${e.name}'`;
      return v.fn === this.fn ? `local '${e.name}'` : `upvalue '${e.name}'`;
    }
    if (e.kind === 'Index' && e.key.kind === 'String') return `field '${e.key.value}'`;
    return '';
  }

  /** `returnLine` (debug builds): the call is a `return`'s tail call, whose RETURN is on that line. */
  private callCode(e: Extract<Expr, { kind: 'Call' | 'MethodCall' }>, returnLine?: number): string {
    const p = this.pos(e.line);
    const f = this.temp();
    let prefix = '';
    let args: string;
    let self = '';
    let fnCode: string;
    let desc: string;
    if (e.kind === 'MethodCall') {
      const o = this.temp();
      prefix = `${o} = ${this.expr(e.object)}, `;
      fnCode = `$idxs(${o}, ${JSON.stringify(e.method)}, ${p}, ${JSON.stringify(this.describe(e.object))})`;
      self = o;
      desc = `method '${e.method}'`;
    } else {
      fnCode = this.expr(e.callee);
      desc = this.describe(e.callee);
    }
    prefix += `${f} = ${fnCode}, `;
    if (!this.debug && e.args.every(isSimple)) {
      args = this.args(e.args);
    } else {
      // Evaluate arguments first so that the position the callee sees is this call's.
      const parts: string[] = [];
      e.args.forEach((a, i) => {
        const t = this.temp();
        if (i === e.args.length - 1 && isMulti(a)) {
          prefix += `${t} = ${a.kind === 'Vararg' ? this.markBefore(a.line, this.multi(a)) : this.multi(a)}, `;
          parts.push(`...${t}`);
        } else {
          prefix += `${t} = ${this.loaded(a, e.argLines[i])}, `;
          parts.push(t);
        }
      });
      args = parts.join(', ');
      if (this.debug) prefix += `${this.mark(e.line)}, `;
    }
    const all = self === '' ? args : args === '' ? self : `${self}, ${args}`;
    const call = `(${prefix}typeof ${f} === 'function' ? ($W.pos = ${p}, ${f}(${all})) : $cm(${f}, ${p}, ${JSON.stringify(desc)}, [${all}]))`;
    if (returnLine === undefined) return call;
    const r = this.temp();
    return `(${r} = ${call}, ($dI(${f}) || ${this.mark(returnLine)}), ${r})`;
  }

  /** Code for a condition as a JS boolean. */
  private cond(e: Expr): string {
    switch (e.kind) {
      case 'True':
        return 'true';
      case 'False':
      case 'Nil':
        return 'false';
      case 'Unary':
        if (e.op === 'not') return `!(${this.cond(e.operand)})`;
        break;
      case 'Paren':
        return this.cond(e.expr);
      case 'Binary':
        // Each operand that is not a comparison is tested where it ends: the left one on the operator's line.
        if (e.op === 'and' || e.op === 'or') {
          const left = untested(e.left, e.op) ? this.cond(e.left) : this.markAfter(e.opLine, this.cond(e.left));
          // The whole condition is tested as `and` tests.
          const right = untested(e.right, 'and') ? this.cond(e.right) : this.markAfter(endLine(e.right), this.cond(e.right));
          return `(${left} ${e.op === 'and' ? '&&' : '||'} ${right})`;
        }
        if (['==', '~=', '<', '<=', '>', '>='].includes(e.op)) return this.expr(e);
        break;
      default:
        break;
    }
    return `$tr(${this.expr(e)})`;
  }

  /** Code for an expression's single value. */
  private expr(e: Expr): string {
    switch (e.kind) {
      case 'Nil':
        return 'undefined';
      case 'True':
        return 'true';
      case 'False':
        return 'false';
      case 'Number':
        return numberLiteral(e.value);
      case 'String':
        return JSON.stringify(e.value);
      case 'Vararg':
        return `${this.fn.vararg!}[0]`;
      case 'Function':
        return this.functionExpr(e);
      case 'Table':
        return this.table(e.items, e.line);
      case 'Paren':
        return this.expr(e.expr);
      case 'Name': {
        const v = this.resolve(e.name);
        if (v !== undefined) return v.js;
        return `$idxs($G, ${JSON.stringify(e.name)}, ${this.pos(e.line)}, "")`;
      }
      case 'Index':
        return this.index(e);
      case 'Call':
      case 'MethodCall':
        return `${this.callCode(e)}[0]`;
      case 'Unary': {
        if (e.op === 'not') return `!(${this.cond(e.operand)})`;
        const d = JSON.stringify(this.describe(e.operand));
        if (e.op === '-') {
          if (e.operand.kind === 'Number') return `(${numberLiteral(-e.operand.value)})`;
          return `$neg(${this.markAfter(endLine(e.operand), this.expr(e.operand))}, ${this.pos(e.line)}, ${d})`;
        }
        return `$len(${this.markAfter(endLine(e.operand), this.expr(e.operand))}, ${this.pos(e.line)}, ${d})`;
      }
      case 'Binary':
        return this.binary(e);
    }
  }

  /** `at`: where the value is loaded into a register, which an and/or's lazy right operand is loaded on. */
  /** `at` (debug builds): the line of the lookup, reported between evaluating the key and looking it up. */
  private index(e: IndexExpr, at?: number): string {
    const desc = JSON.stringify(this.describe(e.object));
    const marked = (code: string): string => (at === undefined ? code : this.markAfter(at, code));
    if (e.key.kind === 'String') return `$idxs(${marked(this.expr(e.object))}, ${JSON.stringify(e.key.value)}, ${this.pos(e.line)}, ${desc})`;
    return `$idx(${this.expr(e.object)}, ${marked(this.expr(e.key))}, ${this.pos(e.line)}, ${desc})`;
  }

  private binary(e: Extract<Expr, { kind: 'Binary' }>, at?: number): string {
    if (e.op === 'and' || e.op === 'or') {
      const t = this.temp();
      // The left operand is tested on the operator's line; the right one is loaded where the whole value is.
      const left = untested(e.left, e.op) ? this.expr(e.left) : this.markAfter(e.opLine, this.expr(e.left));
      const right = at === undefined ? this.expr(e.right) : this.value(e.right, at);
      return e.op === 'and' ? `($tr(${t} = ${left}) ? ${right} : ${t})` : `($tr(${t} = ${left}) ? ${t} : ${right})`;
    }
    const a = this.expr(e.left);
    const b = this.markAfter(e.line, this.expr(e.right));
    const p = this.pos(e.line);
    switch (e.op) {
      case '==':
        return `$eq(${a}, ${b})`;
      case '~=':
        return `!$eq(${a}, ${b})`;
      case '<':
        return `$lt(${a}, ${b}, ${p})`;
      case '<=':
        return `$le(${a}, ${b}, ${p})`;
      // Lua evaluates both operands left to right, then compares them swapped.
      case '>':
      case '>=': {
        const ta = this.temp();
        return `(${ta} = ${a}, $${e.op === '>' ? 'lt' : 'le'}(${b}, ${ta}, ${p}))`;
      }
      default:
        return `${BINARY_HELPERS[e.op]}(${a}, ${b}, ${p}, ${JSON.stringify(this.describe(e.left))}, ${JSON.stringify(this.describe(e.right))})`;
    }
  }

  /** `name`: what the debugger's backtrace calls the function (its declared name, if any). */
  private functionExpr(f: FunctionBody, name = ''): string {
    const outerFn = this.fn;
    const outerScope = this.scope;
    const va = f.isVararg ? this.newName('VA') : undefined;
    this.fn = new FunctionState(outerFn, va);
    this.scope = new Scope(outerScope);
    try {
      const params = f.params.map((p) => this.declare(p));
      const body = this.functionBody(f.body, f.line, f.endLine, name);
      const list = va === undefined ? params : [...params, `...${va}`];
      const fn = `(function (${list.join(', ')}) {\n${body}})`;
      return this.debug ? `$dF${fn}` : fn;
    } finally {
      this.fn = outerFn;
      this.scope = outerScope;
    }
  }

  private table(items: TableItem[], line: number): string {
    if (items.length === 0) return '$nt(0, 0)';
    const p = this.pos(line);
    let positional = 0;
    let keyed = 0;
    items.forEach((it, i) => {
      if (it.kind === 'Keyed') keyed++;
      else if (!(i === items.length - 1 && isMulti(it.value))) positional++;
    });
    const t = this.temp();
    let out = `(${t} = ${this.markBefore(line, `$nt(${fb2intRound(positional)}, ${fb2intRound(keyed)})`)}`;
    let pending: string[] = [];
    let flushed = 1;
    const mixed = keyed > 0 && positional > 0;
    const flush = (): void => {
      if (pending.length === 0) return;
      out += `, $sl(${t}, ${flushed}, [${pending.join(', ')}])`;
      flushed += pending.length;
      pending = [];
    };
    items.forEach((it, i) => {
      if (it.kind === 'Keyed') {
        out += `, $rs(${t}, ${this.expr(it.key)}, ${this.markAfter(it.at, this.expr(it.value))}, ${p})`;
        return;
      }
      if (i === items.length - 1 && isMulti(it.value)) {
        pending.push(`...${this.multi(it.value)}`);
      } else if (mixed) {
        // Positional values are evaluated in source order, between the keyed stores around them.
        const v = this.temp();
        out += `, ${v} = ${this.loaded(it.value, it.at)}`;
        pending.push(v);
      } else {
        pending.push(this.loaded(it.value, it.at));
      }
      if (pending.length === FIELDS_PER_FLUSH) flush();
    });
    flush();
    return out + `, ${t})`;
  }
}
