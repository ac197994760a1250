/**
 * The syntax tree of a Lua 5.1 chunk, as the parser builds it and the code
 * generator reads it. Every node that can raise a runtime error carries the
 * source line Lua would report.
 */

export type BinaryOp =
  | '+' | '-' | '*' | '/' | '%' | '^' | '..'
  | '==' | '~=' | '<' | '<=' | '>' | '>='
  | 'and' | 'or';

export type UnaryOp = 'not' | '-' | '#';

export interface FunctionBody {
  kind: 'Function';
  /** Parameter names in order; a method's implicit `self` is listed first. */
  params: string[];
  isVararg: boolean;
  body: Block;
  line: number;
  /** Line of the closing `end`. */
  endLine: number;
}

/**
 * `at` in table items and `argLines` of calls: the line Lua 5.1 gives the
 * instruction that puts a value there, that of the token after it (a
 * separator or the closing bracket): where a debugger's line hook sees a
 * statement that spans several lines go.
 */
export type TableItem =
  | { kind: 'Positional'; value: Expr; at: number }
  /** `[k] = v` and `name = v` (then key is a String node). */
  | { kind: 'Keyed'; key: Expr; value: Expr; at: number };

export type Expr =
  | { kind: 'Nil'; line: number }
  | { kind: 'True'; line: number }
  | { kind: 'False'; line: number }
  | { kind: 'Number'; value: number; line: number }
  | { kind: 'String'; value: string; line: number }
  | { kind: 'Vararg'; line: number }
  | FunctionBody
  /** `end`: the line of the closing brace. */
  | { kind: 'Table'; items: TableItem[]; line: number; end: number }
  /** `line`: the instruction's, after the right operand (where Lua reports errors); `opLine`: the operator's. */
  | { kind: 'Binary'; op: BinaryOp; left: Expr; right: Expr; line: number; opLine: number }
  | { kind: 'Unary'; op: UnaryOp; operand: Expr; line: number }
  /** A variable reference; whether it is local, an upvalue or global is the code generator's business. */
  | NameExpr
  | IndexExpr
  | CallExpr
  | MethodCallExpr
  /** `(e)`: truncates a multi-value expression to one value. */
  | { kind: 'Paren'; expr: Expr; line: number; end: number };

export interface NameExpr {
  kind: 'Name';
  name: string;
  line: number;
}
/** `a.b` is an Index whose key is a String node. */
export interface IndexExpr {
  kind: 'Index';
  object: Expr;
  key: Expr;
  line: number;
}
export interface CallExpr {
  kind: 'Call';
  callee: Expr;
  args: Expr[];
  /** Per argument, the line of the instruction that loads it (see TableItem). */
  argLines: number[];
  line: number;
  /** The line of the call's last token. */
  end: number;
}
export interface MethodCallExpr {
  kind: 'MethodCall';
  object: Expr;
  method: string;
  /** The line of the method's name, where Lua looks the method up. */
  methodLine: number;
  args: Expr[];
  argLines: number[];
  line: number;
  end: number;
}

/** `valueLines` of an expression list: for each value, the line Lua loads it on (see TableItem). */
export type Stat =
  | { kind: 'Local'; names: string[]; values: Expr[]; valueLines: number[]; line: number }
  /** `functionStat`: `function a.b() end`, whose store Lua places on the `function` line. */
  | { kind: 'Assign'; targets: (NameExpr | IndexExpr)[]; values: Expr[]; valueLines: number[]; line: number; functionStat?: true }
  | { kind: 'CallStat'; call: CallExpr | MethodCallExpr; line: number }
  | { kind: 'Do'; body: Block; line: number }
  | { kind: 'While'; cond: Expr; body: Block; line: number }
  /** The condition sees the body's locals. */
  | { kind: 'Repeat'; body: Block; cond: Expr; line: number }
  /** `exitLine`: the line of a clause's last token, where Lua jumps past the clauses after it. */
  | { kind: 'If'; clauses: { cond: Expr; body: Block; exitLine: number }[]; orelse: Block | undefined; line: number }
  /** `doLine`: the line of `do`, where Lua jumps to the loop's test from. */
  | { kind: 'NumericFor'; name: string; start: Expr; limit: Expr; step: Expr | undefined; body: Block; line: number; doLine: number }
  | { kind: 'GenericFor'; names: string[]; exprs: Expr[]; valueLines: number[]; body: Block; line: number; doLine: number }
  /**
   * `function a.b:c() end` is desugared by the parser into an Assign of a
   * FunctionBody (with `self` first for methods); this node is `local function f`,
   * whose name is in scope inside its own body.
   */
  | { kind: 'LocalFunction'; name: string; func: FunctionBody; line: number }
  | { kind: 'Return'; values: Expr[]; valueLines: number[]; line: number }
  | { kind: 'Break'; line: number };

export type Block = Stat[];
