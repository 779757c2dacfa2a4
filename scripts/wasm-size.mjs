// What the browser's wasm is made of: bytes of function code per crate (by the crate that defines
// each function, as its symbol names it; generic code counts for the crate that wrote it, not the
// one that instantiated it), and the data section. Reads the wasm as cargo wrote it (before
// wasm-bindgen and wasm-opt strip the names), so its sizes are before -Oz: the shares are the point.
// usage: node scripts/wasm-size.mjs target/wasm32-unknown-unknown/wasm-release/keytrack_app.wasm [top]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error('usage: node scripts/wasm-size.mjs <file.wasm> [top]');
const bytes = readFileSync(file);
const top = Number(topArg || 15);

let at = 8;
const leb = () => {
  let result = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[at++];
    result += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (byte < 0x80) return result;
  }
};
const name = () => {
  const length = leb();
  const text = bytes.toString('utf8', at, at + length);
  at += length;
  return text;
};

let imported = 0;
const bodies = [];
const names = new Map();
const sections = {};
while (at < bytes.length) {
  const id = bytes[at++];
  const size = leb();
  const end = at + size;
  sections[id] = (sections[id] || 0) + size;
  if (id === 2) {
    // Imports: only imported functions take function indices before the module's own.
    for (let n = leb(); n > 0; n--) {
      name();
      name();
      const kind = bytes[at++];
      if (kind === 0) {
        leb();
        imported++;
      } else if (kind === 1) {
        at++;
        const flags = leb();
        leb();
        if (flags & 1) leb();
      } else if (kind === 2) {
        const flags = leb();
        leb();
        if (flags & 1) leb();
      } else if (kind === 3) {
        at += 2;
      } else {
        leb();
        leb();
      }
    }
  } else if (id === 10) {
    for (let n = leb(); n > 0; n--) {
      const length = leb();
      bodies.push(length);
      at += length;
    }
  } else if (id === 0 && name() === 'name') {
    while (at < end) {
      const sub = bytes[at++];
      const subSize = leb();
      const subEnd = at + subSize;
      if (sub === 1) {
        for (let n = leb(); n > 0; n--) {
          const index = leb();
          names.set(index, name());
        }
      }
      at = subEnd;
    }
  }
  at = end;
}
if (names.size === 0) throw new Error(`${file} has no name section: read the wasm cargo wrote, before wasm-bindgen`);

// The defining crate of a Rust symbol (legacy mangling: _ZN<len><ident>...E), or of the type an
// impl is for (`<keytrack_app::ui::Foo as serde::Serialize>::serialize`).
const crateOf = (symbol) => {
  const match = /^_ZN(\d+)/.exec(symbol);
  if (!match) return symbol.startsWith('_R') ? '(v0 symbols)' : '(not Rust)';
  let first = symbol.substr(3 + match[1].length, Number(match[1]));
  first = first.replace(/^_\$LT\$|^\$LT\$/, '').replace(/^\$RF\$|^\$BP\$|^mut\$u20\$/g, '');
  first = first.replace(/^(\$u5b\$|\$RF\$|\$BP\$|mut\$u20\$|dyn\$u20\$)+/g, '');
  const crate = first.split('..')[0].split('$')[0];
  // A blanket impl (`<T as tachys::view::Render>::build`): the trait's crate wrote it.
  const blanket = /^[A-Z][A-Za-z]?\$u20\$as\$u20\$([a-z_0-9]+)\.\./.exec(first);
  return (blanket ? blanket[1] : crate) || '(other)';
};
const perCrate = new Map();
bodies.forEach((length, i) => {
  const crate = crateOf(names.get(imported + i) || '');
  perCrate.set(crate, (perCrate.get(crate) || 0) + length);
});
const code = bodies.reduce((a, b) => a + b, 0);
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(`${file}: ${kb(bytes.length)}; code ${kb(code)} in ${bodies.length} functions, data ${kb(sections[11] || 0)}`);
const rows = [...perCrate.entries()].sort((a, b) => b[1] - a[1]);
for (const [crate, size] of rows.slice(0, top)) {
  console.log(`  ${kb(size).padStart(9)}  ${((100 * size) / code).toFixed(1).padStart(4)} %  ${crate}`);
}
const rest = rows.slice(top).reduce((sum, [, size]) => sum + size, 0);
console.log(`  ${kb(rest).padStart(9)}  ${((100 * rest) / code).toFixed(1).padStart(4)} %  ${rows.length - top} other crates`);
