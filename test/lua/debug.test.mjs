// Debug builds of a chunk report the lines Lua 5.1's line hook reports: each
// program's line events must equal Debian lua5.1's (debug.sethook 'l', run
// by line-hook.lua), and the frames and locals must be the debugger's view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LuaEngine } from '../../dist/scripting/lua/engine.js';
import { debugging } from '../../dist/scripting/lua/runtime.js';

const HOOK = fileURLToPath(new URL('./line-hook.lua', import.meta.url));
const haveLua = (() => {
  try {
    execFileSync('lua5.1', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** The lines a debug build reports, and what each event saw. */
function lineEvents(source) {
  const engine = new LuaEngine();
  const events = [];
  debugging.onLine = (frame) => events.push({ line: frame.line, depth: debugging.frames.length, vars: frame.vars() });
  try {
    const fn = engine.load(source, 'user_script', engine.globals, true);
    try {
      fn();
    } catch {
      // An error ends the run where lua5.1's pcall ends it.
    }
  } finally {
    debugging.onLine = () => {};
  }
  assert.equal(debugging.frames.length, 0, 'every frame is popped');
  return events;
}

const PROGRAMS = [
  'local function f(x)\n  local y = x * 2\n  return y\nend\nlocal t = {}\nfor i=1,2 do\n  t[i] = f(i)\nend\nlocal j = 0\nwhile j < 2 do j = j + 1 end\nreturn t',
  'local t={}\nfor i=1,2 do t[i]=i end\nreturn t',
  'local function f()\n  local q = 1\nend\nf()\nreturn 1',
  'local a\nlocal b\nreturn a',
  'local t = {1, 2}\nfor k, v in ipairs(t) do\n  t[k] = v\nend\nfor k in pairs({}) do end\nreturn 1',
  'local n = 0\nrepeat\n  n = n + 1\nuntil n == 3\nreturn n',
  'local x = 1\nif x == 1 then\n  x = 2\nelseif x == 3 then\n  x = 4\nelse\n  x = 5\nend\nreturn x',
  'local f = function()\n  return 1\nend\nlocal g = f()\nlocal h = (function() return 2 end)()\nreturn g + h',
  'local i = 0\nwhile true do\n  i = i + 1\n  if i > 2 then break end\nend\nreturn i',
  'local a = nil\nlocal b = a.x\nreturn b',
  'for i = 1, 2 do\n  for j = 1, 2 do\n    local x = i * j\n  end\nend\nreturn 1',
  'local s = 0\nfor i = 3, 1, -1 do s = s + i end\nreturn s',
  'local function f(n)\n  if n == 0 then return 0 end\n  return f(n - 1)\nend\nreturn f(2)',
  'local a = 1 local b = 2\nreturn a + b',
  'local t = {}\nt.x = function() end\nt.x()\nreturn 1',
  'do\n  local a = 1\nend\nreturn 2',
  // Statements that span lines: Lua loads constants and variables where they are used, on the line
  // of the token after them, so the hook sees arguments, fields, operators and stores on their own lines.
  'local a = 1\ndo\n  local a = 2\n  local b = 3\nend\nlocal t = {\n  1,\n  2,\n}\nlocal z = a +\n  1\nreturn z',
  'local function f(x,\n                 y)\n  local x = x + 1\n  return x +\n    y\nend\nlocal r = f(\n  a,\n  3\n)\nlocal t = {\n  k = 1,\n  f(1, 2),\n  [3] =\n    \'v\',\n  a\n}\nlocal s = \'p\' ..\n  tostring(r) ..\n  \'q\'\nlocal u = string.format(\'%d\',\n  #t)\nreturn {a,\n  r, s,\n  u}',
  'local t = {}\nt.x =\n  5\nt[\n  \'y\'] = 6\nlocal a, b =\n  1,\n  2\nreturn a',
  'local x = 1\nif x == 1 and\n   x < 2 then\n  x = 2\nend\nwhile x <\n  5 do\n  x = x + 1\nend\nreturn x',
  'local t = {}\ntable.insert(t,\n  1)\ntable.insert(\n  t,\n  string.rep(\'a\',\n    3))\nlocal s = tostring(\n  t[1]\n)\nreturn s',
  'local t = {a = 1, b = 2}\nlocal s = t.a\n  + t.b\nlocal q = -\n  s\nlocal k = t\n  .a\nreturn q',
  'local o = {v = 1}\nfunction o:get(x)\n  return self.v + x\nend\nlocal r = o:get(\n  2\n)\nlocal r2 = o\n  :get(3)\nreturn r',
  'local s = "a" .. "b"\n  .. "c"\nlocal t = {\n  "x", "y";\n  "z"\n}\nreturn #t',
  'local t = {}\nfor i = 1, 2 do t[#t + 1] = {\n  i,\n  i * 2\n} end\nreturn t',
  'for i = 1,\n  2 do\n  local j = i\nend\nfor k, v in pairs(\n  {1}) do\nend\nreturn 0',
  'local x = 5\nlocal y = x > 3 and\n  \'big\' or\n  \'small\'\nlocal z = not\n  x\nreturn y',
  'local a, b = 1, nil\nif a and\n   b then\n  a = 2\nend\nif a or\n  b then\n  a = 3\nend\nlocal c = a\n  and b\nlocal d = a ~= nil\n  and 1\nreturn a',
  'local t = {n = 1}\nlocal v = t.n or\n  0\nlocal w = nil or\n  t.n\nif t.n == 1 or\n   t.m then\n  v = 2\nend\nreturn v',
  'local a = 1 local b = a and 2 or 3\nlocal c = (a > 0) and b or nil\nif not a then b = 1 elseif a == 1 and b then b = 4 else b = 5 end\nwhile a < 3 and b do a = a + 1 end\nreturn a',
  'local t = {}\nfor i = 1, 3 do\n  t[i] = i % 2 == 0 and \'even\'\n    or \'odd\'\nend\nlocal s = \'\'\nfor _, v in ipairs(t) do\n  s = s ..\n    v\nend\nreturn s',
  'local function f(...)\n  local n = select(\'#\', ...)\n  return n, ...\nend\nlocal x, y = f(1,\n  2, 3)\nlocal g = function(a, b)\n  return a\n    * b\nend\nreturn g(x,\n  y)',
  'local t = setmetatable({}, {__index = function(t, k)\n  return k\nend})\nlocal v = t.abc\nlocal w = t[\n  \'x\' .. \'y\'\n]\nreturn v .. w',
  'local cnt = 0\nrepeat\n  cnt = cnt +\n    1\nuntil cnt >= 2 and\n  cnt < 10\nreturn cnt',
  // An if's clause ends in a jump past the others, on its last line; Lua threads jumps, so a trailing if's or while's exits skip it.
  'local x = 1\nif x == 1 then\n  if x > 0 then\n    x = 2\n  else\n    x = 3\n  end\nelseif x == 2 then\n  x = 4\nend\nif x == 5 then\nelseif x == 2 then\n  x = 6\nelse\nend\nreturn x',
  'local r = {}\nfor i = 1, 3 do\n  if i == 1 or i == 2 then\n    local m = i\n    if m and m == 2 then\n      r[#r+1] = 1\n    else\n      r[#r+1] = 2\n    end\n  elseif i == 3 then\n    r[#r+1] = 3\n  else\n    r[#r+1] = 4\n  end\nend\nreturn r',
  'local n = 0\nfor i = 1, 4 do\n  if i % 2 == 0 then\n    while n < i do\n      n = n + 1\n    end\n  elseif i == 3 then\n    if n > 100 then\n      n = 0\n    end\n  else\n    n = n + 10\n  end\nend\nreturn n',
  'local function f(x)\n  if x then\n    return 1\n  elseif x == false then\n    return 2\n  end\n  return 3\nend\nlocal a = f(true) + f(false) + f(nil)\nif a > 0 then\n  for j = 1, 2 do\n    a = a + j\n  end\nelse\n  a = 0\nend\nreturn a',
  // Consecutive nil locals share one LOADNIL; a tail call of a library function runs the RETURN after it.
  'local rcall = function(...) return select(\'#\', ...) end\nlocal function removeJobKeys(jobKey)\n  return rcall("DEL", jobKey, jobKey .. \':logs\', jobKey .. \':dependencies\',\n    jobKey .. \':processed\', jobKey .. \':failed\', jobKey .. \':unsuccessful\')\nend\nlocal n = removeJobKeys(\'j\')\nreturn n',
  'local function g(a, b)\n  local x\n  local y\n  if a then\n    local p\n    local q\n    x = 1\n  end\n  return x\nend\nreturn g(1)',
  'local function h(t)\n  return table.concat(t,\n    \',\')\nend\nlocal function k(x)\n  return h({x,\n    x})\nend\nlocal s = k(\'a\')\nreturn tostring(\n  s)',
  'local function g(...)\n  return select(\'#\',\n    ...)\nend\nlocal n = g(1,\n  2)\nlocal m = math.max(\n  n, 1\n) + 1\nreturn m',
  'local a = nil\nlocal b = a\n  or \'default\'\nlocal c = false or\n  nil or\n  \'x\'\nreturn b',
];

test('a debug build reports the lines lua5.1\'s line hook reports', { skip: !haveLua && 'lua5.1 is not installed' }, () => {
  for (const program of PROGRAMS) {
    const expected = execFileSync('lua5.1', [HOOK], { input: program }).toString().trim();
    assert.equal(lineEvents(program).map((e) => e.line).join(' '), expected, program);
  }
});

test('each line event carries its call depth and the locals active there, loop state first', () => {
  const events = lineEvents('local t = {}\nlocal function f(x)\n  return x\nend\nfor i = 1, 1 do\n  f(i)\nend');
  const at = events.map((e) => `${e.line}@${e.depth}:${e.vars.filter((_, i) => i % 2 === 0).join(',')}`);
  assert.deepEqual(at, [
    '1@1:', '4@1:t', '5@1:t,f', '6@1:t,f,(for index),(for limit),(for step),i', '3@2:x', '5@1:t,f,(for index),(for limit),(for step),i',
  ]);
  assert.deepEqual(events[4].vars, ['x', 1]);
});

test('a normal build reports nothing', () => {
  const engine = new LuaEngine();
  let events = 0;
  debugging.onLine = () => events++;
  try {
    engine.load('local a = 1\nfor i = 1, 3 do a = a + i end\nreturn a', 'user_script')();
  } finally {
    debugging.onLine = () => {};
  }
  assert.equal(events, 0);
  assert.equal(debugging.frames.length, 0);
});
