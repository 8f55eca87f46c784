#!/usr/bin/env python3
"""Count individual test cases of the last `meson test` run.

Reads BUILD/meson-logs/testlog.json.  A test that wrote JUnit XML (pytest's
--junitxml=PATH on its command line) counts its cases from that file; a TAP
test counts its `ok` / `not ok` lines; any other test counts as one case.
Prints `N passed, N failed, N skipped` and exits 1 when anything failed.
"""
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

TAP_LINE = re.compile(r'^(not ok|ok)\b(.*)$')
TAP_PLAN = re.compile(r'^1\.\.(\d+)')


def count_junit(path):
    passed = failed = skipped = 0
    root = ET.parse(path).getroot()
    for case in root.iter('testcase'):
        if case.find('failure') is not None or case.find('error') is not None:
            failed += 1
        elif case.find('skipped') is not None:
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def count_tap(stdout):
    passed = failed = skipped = 0
    plan = None
    for line in stdout.splitlines():
        m = TAP_PLAN.match(line)
        if m:
            plan = int(m.group(1))
            continue
        m = TAP_LINE.match(line)
        if not m:
            continue
        if m.group(1) == 'not ok':
            failed += 1
        elif re.search(r'#\s*skip', m.group(2), re.I):
            skipped += 1
        else:
            passed += 1
    if plan is not None and passed + failed + skipped < plan:
        failed += plan - (passed + failed + skipped)
    return passed, failed, skipped


def junit_path(cmd):
    for arg in cmd:
        if arg.startswith('--junitxml='):
            return arg[len('--junitxml='):]
    return None


def count_test(test):
    ok = test['result'] in ('OK', 'EXPECTEDFAIL')
    xml = junit_path(test.get('command', []))
    if xml:
        if os.path.exists(xml):
            p, f, s = count_junit(xml)
            if not ok and f == 0:
                f = 1
            return p, f, s
        return (0, 0, 1) if test['result'] == 'SKIP' else (0, 1, 0)
    stdout = test.get('stdout') or ''
    if any(TAP_LINE.match(l) for l in stdout.splitlines()):
        p, f, s = count_tap(stdout)
        if not ok and f == 0:
            f = 1
        return p, f, s
    if test['result'] == 'SKIP':
        return 0, 0, 1
    return (1, 0, 0) if ok else (0, 1, 0)


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else 'build'
    log = os.path.join(build, 'meson-logs', 'testlog.json')
    passed = failed = skipped = 0
    failures = []
    try:
        with open(log) as f:
            tests = [json.loads(line) for line in f if line.strip()]
    except OSError as e:
        print(f'test-summary: cannot read {log}: {e}', file=sys.stderr)
        tests = []
    for test in tests:
        p, f, s = count_test(test)
        passed += p
        failed += f
        skipped += s
        if f:
            failures.append(test['name'])
    if failures:
        print('failed: ' + ', '.join(failures))
    line = f'{passed} passed, {failed} failed'
    if skipped:
        line += f', {skipped} skipped'
    print(line)
    return 1 if failed or not tests else 0


if __name__ == '__main__':
    sys.exit(main())
