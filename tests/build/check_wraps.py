#!/usr/bin/env python3
"""Checks that every dependency() the build can fall back on has a wrap in subprojects/.

Reads the top-level meson.build and every meson.build under src/ and tests/, and the
subprojects/*.wrap files. Each dependency() must be one of:
  - a meson built-in ('threads', ...);
  - provided by a wrap's [provide] section (a `name = variable` key or an entry of
    dependency_names; meson compares the names case-insensitively), with no fallback:
    keyword (STYLE.md section 7: plain dependency() when the wrap has [provide]);
  - given fallback : ['subproject', 'variable'] with subprojects/<subproject>.wrap present;
  - named by --system-only (no wrap exists, e.g. libseccomp), which must not have a wrap.
Each wrap-file must name its archive (directory, source_url, source_filename and a
64-hex-digit source_hash) and its patch (patch_url, patch_filename and patch_hash, or a
patch_directory that exists under subprojects/packagefiles/).

  check_wraps.py SOURCE_ROOT [--system-only NAME...]
  check_wraps.py SOURCE_ROOT --self-test [--system-only NAME...]

--self-test copies the build files to a temporary tree and checks that removing any one
wrap, or breaking its source_hash, makes the check fail.
"""

import argparse
import configparser
import re
import shutil
import sys
import tempfile
from pathlib import Path

BUILTIN_DEPENDENCIES = {'threads', 'dl', 'openmp', 'mpi', 'gtest', 'gmock', 'boost', 'llvm'}
HEX64 = re.compile(r'[0-9a-fA-F]{64}')  # meson lower-cases it before comparing


def strip_comments(text):
    """Blanks out '#' comments, keeping strings (which may contain '#') and line numbers.

    Returns the text and a copy with the strings' contents blanked too, in which a
    'dependency(' can only be code."""
    out, code = [], []
    i = 0
    while i < len(text):
        if text.startswith("'''", i):
            end = text.find("'''", i + 3)
            end = len(text) if end < 0 else end + 3
        elif text[i] == "'":
            end = i + 1
            while end < len(text) and text[end] not in "'\n":
                end += 2 if text[end] == '\\' else 1
            end += 1
        elif text[i] == '#':
            end = text.find('\n', i)
            end = len(text) if end < 0 else end
            out.append(' ' * (end - i))
            code.append(' ' * (end - i))
            i = end
            continue
        else:
            out.append(text[i])
            code.append(text[i])
            i += 1
            continue
        out.append(text[i:end])
        code.append(re.sub(r'[^\n]', ' ', text[i:end]))
        i = end
    return ''.join(out), ''.join(code)


def split_top_level(args):
    """Splits a call's argument text at commas outside brackets and strings."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(args):
        c = args[i]
        if c == "'":
            j = i + 1
            while j < len(args) and args[j] != "'":
                j += 2 if args[j] == '\\' else 1
            i = j
        elif c in '([{':
            depth += 1
        elif c in ')]}':
            depth -= 1
        elif c == ',' and depth == 0:
            parts.append(args[start:i].strip())
            start = i + 1
        i += 1
    parts.append(args[start:].strip())
    return [p for p in parts if p]


def string_literal(expr):
    m = re.fullmatch(r"'((?:[^'\\]|\\.)*)'", expr.strip())
    return m.group(1) if m else None


def string_list(expr):
    expr = expr.strip()
    if expr.startswith('[') and expr.endswith(']'):
        items = split_top_level(expr[1:-1])
    else:
        items = [expr]
    values = [string_literal(item) for item in items]
    return None if None in values else values


class Dependency:
    def __init__(self, where, names, fallback):
        self.where = where          # "path:line"
        self.names = names          # positional names, as written
        self.fallback = fallback    # None or list of strings

    def __str__(self):
        return "dependency(%s) at %s" % (', '.join("'%s'" % n for n in self.names), self.where)


def find_dependencies(path, root, errors):
    text, code = strip_comments(path.read_text(encoding='utf-8'))
    deps = []
    # 'dependency(' as a function, not declare_dependency( or x.override_dependency(.
    for m in re.finditer(r'(?<![\w.])dependency\s*\(', code):
        line = text.count('\n', 0, m.start()) + 1
        where = '%s:%d' % (path.relative_to(root), line)
        depth, i = 1, m.end()
        while i < len(text) and depth:
            if text[i] == "'":
                i += 1
                while i < len(text) and text[i] != "'":
                    i += 2 if text[i] == '\\' else 1
            elif text[i] == '(':
                depth += 1
            elif text[i] == ')':
                depth -= 1
            i += 1
        names, fallback = [], None
        for arg in split_top_level(text[m.end():i - 1]):
            kw = re.match(r'(\w+)\s*:(.*)', arg, re.S)
            if kw and kw.group(1) == 'fallback':
                fallback = string_list(kw.group(2))
                if fallback is None:
                    errors.append('%s: cannot read its fallback: %s' % (where, kw.group(2).strip()))
            elif not kw:
                name = string_literal(arg)
                if name is None:
                    errors.append('%s: dependency() name is not a string literal: %s' % (where, arg))
                else:
                    names.append(name)
        if names:
            deps.append(Dependency(where, names, fallback))
    return deps


def meson_files(root):
    files = [root / 'meson.build']
    for sub in ('src', 'tests'):
        files += sorted((root / sub).rglob('meson.build'))
    return [f for f in files if f.is_file()]


def read_wraps(root, errors):
    """Returns {lower-case dependency name: wrap name} and {wrap name: section dict}."""
    provided, wraps = {}, {}
    for path in sorted((root / 'subprojects').glob('*.wrap')):
        name = path.stem
        where = 'subprojects/%s' % path.name
        config = configparser.ConfigParser(interpolation=None)
        try:
            config.read(path, encoding='utf-8')
        except configparser.Error as e:
            errors.append('%s: not a valid wrap file: %s' % (where, e))
            continue
        wraps[name] = config
        if config.has_section('wrap-file'):
            check_wrap_file(root, where, config['wrap-file'], errors)
        elif config.has_section('wrap-git'):
            for key in ('url', 'revision'):
                if not config['wrap-git'].get(key):
                    errors.append('%s: [wrap-git] has no %s' % (where, key))
        else:
            errors.append('%s: has neither [wrap-file] nor [wrap-git]' % where)
        if not config.has_section('provide'):
            continue
        for key, value in config['provide'].items():
            deps = [d.strip() for d in value.split(',')] if key == 'dependency_names' else [key]
            if key == 'program_names':
                continue
            for dep in deps:
                if dep.lower() in provided:
                    errors.append('%s and subprojects/%s.wrap both provide %r'
                                  % (where, provided[dep.lower()], dep))
                provided[dep.lower()] = name
    return provided, wraps


def check_wrap_file(root, where, section, errors):
    for key in ('directory', 'source_url', 'source_filename', 'source_hash'):
        if not section.get(key):
            errors.append('%s: [wrap-file] has no %s' % (where, key))
    source_hash = section.get('source_hash', '')
    if source_hash and not HEX64.fullmatch(source_hash):
        errors.append('%s: source_hash is not 64 hex digits: %r' % (where, source_hash))
    patch_keys = [k for k in ('patch_url', 'patch_filename', 'patch_hash') if section.get(k)]
    if patch_keys and section.get('patch_directory'):
        errors.append('%s: has both patch_directory and %s' % (where, ', '.join(patch_keys)))
    elif patch_keys:
        for key in ('patch_url', 'patch_filename', 'patch_hash'):
            if key not in patch_keys:
                errors.append('%s: has %s but no %s' % (where, patch_keys[0], key))
        patch_hash = section.get('patch_hash', '')
        if patch_hash and not HEX64.fullmatch(patch_hash):
            errors.append('%s: patch_hash is not 64 hex digits: %r' % (where, patch_hash))
    elif section.get('patch_directory'):
        patch_dir = root / 'subprojects' / 'packagefiles' / section['patch_directory']
        if not patch_dir.is_dir():
            errors.append('%s: patch_directory %s does not exist'
                          % (where, patch_dir.relative_to(root)))


def check(root, system_only):
    errors = []
    provided, wraps = read_wraps(root, errors)
    system_only = {name.lower() for name in system_only}
    used_system_only = set()
    deps = []
    for path in meson_files(root):
        deps += find_dependencies(path, root, errors)

    for dep in deps:
        lower = [n.lower() for n in dep.names]
        if all(n in BUILTIN_DEPENDENCIES for n in lower):
            continue
        providers = sorted({provided[n] for n in lower if n in provided})
        if dep.fallback is not None:
            subproject = dep.fallback[0] if dep.fallback else ''
            if subproject not in wraps:
                errors.append('%s falls back to %r but subprojects/%s.wrap is missing'
                              % (dep, subproject, subproject))
            elif providers:
                errors.append('%s: subprojects/%s.wrap provides it; use a plain dependency() '
                              'without fallback:' % (dep, providers[0]))
            continue
        if providers:
            continue
        if any(n in system_only for n in lower):
            used_system_only.update(n for n in lower if n in system_only)
            continue
        errors.append('%s: no subprojects/*.wrap provides it and it is not declared '
                      'system-only (--system-only)' % dep)

    for name in sorted(system_only):
        if name in provided:
            errors.append('%r is declared system-only but subprojects/%s.wrap provides it'
                          % (name, provided[name]))
        elif name not in used_system_only:
            errors.append('%r is declared system-only but no dependency() uses it' % name)
    return deps, wraps, errors


def self_test(root, system_only):
    """Each wrap removed, or with a broken source_hash, must make the check fail."""
    _, wraps, errors = check(root, system_only)
    if errors:
        print('the real tree does not pass; fix that first:', *errors, sep='\n  ')
        return 1
    if not wraps:
        print('no wraps to test with')
        return 1
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for wrap in sorted(wraps):
            for mutation in ('removed', 'bad source_hash'):
                copy = Path(tmp) / ('%s-%s' % (wrap, mutation.replace(' ', '-')))
                for path in meson_files(root):
                    dest = copy / path.relative_to(root)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, dest)
                shutil.copytree(root / 'subprojects', copy / 'subprojects',
                                ignore=lambda d, names: [n for n in names
                                                         if (Path(d) / n).is_dir()
                                                         and n != 'packagefiles'])
                wrap_path = copy / 'subprojects' / (wrap + '.wrap')
                if mutation == 'removed':
                    wrap_path.unlink()
                else:
                    text = wrap_path.read_text(encoding='utf-8')
                    wrap_path.write_text(re.sub(r'(source_hash\s*=\s*)\S+', r'\1xyz', text),
                                         encoding='utf-8')
                _, _, errs = check(copy, system_only)
                status = 'fails as it should' if errs else 'PASSES, but should fail'
                print('%s.wrap %s: check %s' % (wrap, mutation, status))
                for e in errs:
                    print('    ' + e)
                failures += not errs
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('source_root', type=Path)
    parser.add_argument('--system-only', nargs='*', default=[], metavar='NAME')
    parser.add_argument('--self-test', action='store_true')
    args = parser.parse_args()
    root = args.source_root.resolve()

    if args.self_test:
        return self_test(root, args.system_only)

    deps, wraps, errors = check(root, args.system_only)
    print('%d dependency() calls, %d wraps: %s' % (len(deps), len(wraps), ', '.join(sorted(wraps))))
    for e in errors:
        print('error: ' + e)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
