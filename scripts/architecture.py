#!/usr/bin/env python3
"""The rules of the house (docs/architecture.md), checked on the production code of every crate
(`#[cfg(test)]` items left out). Run by scripts/lint.sh; exits 1 naming each breach.

- No import circle among files: a file's `use` paths (and `crate::`/`super::` paths in its code)
  are its edges; a circle is a strongly connected group of files.
- The server's wings depend one way: nothing in `server/store/` names `services` or `web`; nothing
  in `server/services/` names `web` or uses axum, sqlx or rusqlite.
- The engine is chosen in `server/store/` alone: no variant of an engine enum (`::Sqlite`,
  `::Postgres`, `Db::...`) is named outside it.
- `server/` holds no admin command or workload generator (they live in `admin/` and `synth/`).
- Every file opens with a `//!` sentence saying what it owns.
"""
import os, re, sys
from collections import defaultdict

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
CRATES = {}  # crate src dir -> crate name
for crate in ['app', 'agent', 'wire', 'tools', 'synth']:
    src = os.path.join(ROOT, crate, 'src')
    if os.path.isdir(src):
        CRATES[crate] = src

def module_files(src):
    files = {}
    for dirpath, _, names in os.walk(src):
        for n in names:
            if n.endswith('.rs'):
                p = os.path.join(dirpath, n)
                rel = os.path.relpath(p, src)[:-3].split(os.sep)
                if rel[-1] == 'mod':
                    rel = rel[:-1]
                if rel == ['lib'] or (rel == ['main'] and not os.path.exists(os.path.join(src, 'lib.rs'))):
                    rel = []
                elif rel == ['main']:
                    rel = ['#main']
                files[tuple(rel)] = p
    return files

def strip_tests(text):
    """Production code only: drop `#[cfg(test)]` items (test modules, test-only functions)."""
    out, i = [], 0
    while True:
        j = text.find('#[cfg(test)]', i)
        if j < 0:
            out.append(text[i:]); break
        out.append(text[i:j])
        k = text.find('{', j); semi = text.find(';', j)
        if semi != -1 and (k == -1 or semi < k):
            i = semi + 1; continue
        depth, m = 0, k
        while m < len(text):
            if text[m] == '{': depth += 1
            elif text[m] == '}':
                depth -= 1
                if depth == 0: break
            m += 1
        i = m + 1
    return ''.join(out)

def strip_comments(text):
    text = strip_tests(text)
    text = re.sub(r'//[^\n]*', '', text)
    text = re.sub(r'/\*.*?\*/', '', text, flags=re.S)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    return text

def expand(tree):
    """'a::{b, c::{d, e}}' -> ['a::b', 'a::c::d', 'a::c::e']"""
    tree = tree.strip()
    m = re.match(r'^(.*?)\{(.*)\}$', tree, re.S)
    if not m:
        return [re.sub(r'\s+as\s+\w+$', '', tree)]
    prefix, inner = m.group(1), m.group(2)
    parts, depth, cur = [], 0, ''
    for ch in inner:
        if ch == '{': depth += 1
        if ch == '}': depth -= 1
        if ch == ',' and depth == 0:
            parts.append(cur); cur = ''
        else:
            cur += ch
    parts.append(cur)
    out = []
    for p in parts:
        p = p.strip()
        if not p: continue
        for e in expand(p):
            out.append(prefix + e if e != 'self' else prefix.rstrip(':'))
    return out

def paths_in(text, children=()):
    text = strip_comments(text)
    found = []
    for child in children:
        for m in re.finditer(r'(?<![\w:])(' + child + r'(?:::\w+)+)', text):
            found.append(m.group(1))
    for m in re.finditer(r'\buse\s+([^;]+);', text):
        found.extend(expand(m.group(1)))
    for m in re.finditer(r'\b((?:crate|super)(?:::\w+)+)', text):
        found.append(m.group(1))
    return found

def resolve(path, here, files, is_mod_file):
    parts = path.split('::')
    if parts[0] == 'crate':
        base = []; parts = parts[1:]
    elif parts[0] in ('super', 'self'):
        base = list(here)
        while parts and parts[0] in ('super', 'self'):
            if parts[0] == 'super':
                base = base[:-1]
            parts = parts[1:]
    else:
        # a path relative to this module (a child module)
        base = list(here)
        if tuple(base + parts[:1]) not in files:
            return None
    best = None
    for i in range(len(parts), -1, -1):
        cand = tuple(base + parts[:i])
        if cand in files:
            best = cand; break
    return best

def inline_modules(text, path):
    """(module path, text) for the file's own text and each inline `mod name { ... }` in it."""
    pieces, rest, i = [], [], 0
    for m in re.finditer(r'\bmod\s+(\w+)\s*\{', text):
        if m.start() < i:
            continue
        depth, k = 0, m.end() - 1
        while k < len(text):
            if text[k] == '{': depth += 1
            elif text[k] == '}':
                depth -= 1
                if depth == 0: break
            k += 1
        rest.append(text[i:m.start()])
        pieces.extend(inline_modules(text[m.end():k], path + (m.group(1),)))
        i = k + 1
    rest.append(text[i:])
    return [(path, ''.join(rest))] + pieces

def graph():
    edges = defaultdict(set)
    for crate, src in CRATES.items():
        files = module_files(src)
        for mod, path in files.items():
            text = strip_comments(open(path).read())
            is_mod_file = path.endswith('mod.rs') or path.endswith('lib.rs') or path.endswith('main.rs')
            children = [m[-1] for m in files if len(m) == len(mod) + 1 and m[:len(mod)] == mod]
            for here, part in inline_modules(text, mod):
                for p in paths_in(part, children if here == mod else ()):
                    target = resolve(p, here, files, is_mod_file)
                    if target is not None and target != mod:
                        edges[path].add(files[target])
    return edges

def cycles(edges):
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]
    sys.setrecursionlimit(10000)
    def strong(v):
        index[v] = low[v] = counter[0]; counter[0] += 1
        stack.append(v); on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                strong(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v: break
            if len(comp) > 1:
                out.append(sorted(comp))
    for v in list(edges):
        if v not in index:
            strong(v)
    return out



def production_text(path):
    return strip_comments(open(path).read())


def rust_files():
    for crate, src in CRATES.items():
        for dirpath, _, names in os.walk(src):
            for n in sorted(names):
                if n.endswith('.rs'):
                    yield os.path.join(dirpath, n)


def main():
    problems = []
    for group in cycles(graph()):
        problems.append('import circle: ' + ' <-> '.join(os.path.relpath(f, ROOT) for f in group))
    server = os.path.join(ROOT, 'app', 'src', 'server')
    for path in rust_files():
        rel = os.path.relpath(path, ROOT)
        text = production_text(path)
        if not open(path).read().lstrip().startswith('//!'):
            problems.append(f'{rel}: does not open with a //! sentence saying what it owns')
        inside = lambda wing: path.startswith(os.path.join(server, wing) + os.sep)
        if inside('store') and re.search(r'\b(services|web)::', text):
            problems.append(f'{rel}: the store names services or web (it must not know them)')
        if inside('services'):
            for name in ('axum', 'sqlx', 'rusqlite', 'web'):
                if re.search(r'(?<![\w:])' + name + r'::', text):
                    problems.append(f'{rel}: a service uses {name} (HTTP is the web\'s, SQL the store\'s)')
        if rel.startswith('app' + os.sep) and not inside('store'):
            for m in re.finditer(r'\b(\w+)::(Sqlite|Postgres|SqlitePool|PostgresPool)\b', text):
                problems.append(f'{rel}: names the engine ({m.group(0)}): only server/store chooses it')
    for name in ('workload', 'demo', 'move_to_postgres', 'import'):
        if any(os.path.exists(os.path.join(server, name + ext)) for ext in ('.rs', os.sep + 'mod.rs')):
            problems.append(f'app/src/server/{name}: a tool or admin command inside the server')
    for problem in problems:
        print(problem)
    if problems:
        print(f'architecture: {len(problems)} breach(es) of docs/architecture.md')
        sys.exit(1)
    print('architecture: no import circles; the wings depend one way; the engine is chosen in the store alone')


if __name__ == '__main__':
    main()
