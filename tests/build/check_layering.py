#!/usr/bin/env python3
"""Checks that each module of src/ includes only the modules below it.

The layers (issue 9): base at the bottom; the record model, policy, net and the strace
printer (issue 13) are pure;
the two detectors (tracer, procpoll) and the evidence writers depend on the record model
and not on each other; only the CLI sees everything. A '#include "MODULE/..."' that
the table does not allow fails the test with FILE:LINE and the rule broken.

    check_layering.py SRC_DIR         check the tree
    check_layering.py --self-test     show that a forbidden include is caught
"""

import os
import re
import sys
import tempfile

ALLOWED = {
    'base': set(),
    'net': {'base'},
    'strace': {'base', 'net'},
    'policy': {'base', 'net'},
    'record': {'base', 'net', 'policy'},
    'seccomp': {'base'},
    'launch': {'base', 'seccomp'},
    'tracer': {'base', 'net', 'policy', 'record', 'seccomp', 'launch'},
    'procpoll': {'base', 'net', 'policy', 'record', 'launch'},
    'evidence': {'base', 'net', 'strace', 'policy', 'record'},
    'cli': {'base', 'net', 'strace', 'policy', 'record', 'seccomp', 'launch', 'tracer', 'procpoll', 'evidence'},
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([A-Za-z0-9_]+)/')


def check(src):
    problems = []
    for module in sorted(os.listdir(src)):
        folder = os.path.join(src, module)
        if not os.path.isdir(folder):
            continue
        if module not in ALLOWED:
            problems.append(f'{folder}: module {module!r} is not in the layering table of {__file__}')
            continue
        for name in sorted(os.listdir(folder)):
            if not name.endswith(('.h', '.cpp', '.c')):
                continue
            path = os.path.join(folder, name)
            with open(path, encoding='utf-8') as f:
                for lineno, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m or m.group(1) == module:
                        continue
                    dep = m.group(1)
                    if dep not in ALLOWED[module]:
                        allowed = ', '.join(sorted(ALLOWED[module])) or 'nothing'
                        problems.append(f'{path}:{lineno}: {module}/ includes {dep}/ '
                                        f'({module}/ may include only {allowed})')
    return problems


def self_test():
    with tempfile.TemporaryDirectory() as tmp:
        for module in ('evidence', 'tracer'):
            os.mkdir(os.path.join(tmp, module))
        with open(os.path.join(tmp, 'tracer', 'a.h'), 'w') as f:
            f.write('#pragma once\n#include "tracer/b.h"\n')
        with open(os.path.join(tmp, 'evidence', 'c.h'), 'w') as f:
            f.write('#pragma once\n#include "record/record.h"\n')
        if check(tmp):
            print('self-test: a clean tree was reported:', check(tmp))
            return 1
        with open(os.path.join(tmp, 'evidence', 'c.h'), 'a') as f:
            f.write('#include "tracer/a.h"\n')
        problems = check(tmp)
        if len(problems) != 1 or 'evidence/ includes tracer/' not in problems[0] or ':3:' not in problems[0]:
            print('self-test: the forbidden include was not reported as expected:', problems)
            return 1
    print('self-test: ok')
    return 0


def main(argv):
    if argv[1:] == ['--self-test']:
        return self_test()
    if len(argv) != 2:
        print(__doc__)
        return 2
    problems = check(argv[1])
    for p in problems:
        print(p)
    if problems:
        return 1
    print('layering: ok')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
