#!/usr/bin/env python3
#
# Run qapi-gen.py on every tests/qapi-schema/bad-*.json and check that it
# fails with status 1 and one 'FILE:LINE: MESSAGE' line on stderr, where
# LINE and MESSAGE are given on the file's first line:
#     # Bad schema: expect "LINE: MESSAGE"
# Prints TAP, one case per file.
#
# usage: test-bad-schemas.py QAPI-GEN.PY SCHEMA-DIR

import glob
import os
import re
import subprocess
import sys
import tempfile

EXPECT_RE = re.compile(r'^# Bad schema: expect "(\d+): (.*)"$')


def check(gen, path, outdir):
    with open(path, encoding='utf-8') as f:
        m = EXPECT_RE.match(f.readline().rstrip('\n'))
    if not m:
        return 'no expectation on the first line'
    line, msg = m.group(1), m.group(2)
    proc = subprocess.run([sys.executable, gen, '-o', outdir, path],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 1:
        return 'exit status %d, expected 1' % proc.returncode
    err = proc.stderr.strip()
    want = '%s:%s: ' % (path, line)
    if '\n' in err or not err.startswith(want) or msg not in err:
        return 'stderr %r, expected %r containing %r' % (err, want, msg)
    return None


def main():
    gen, schema_dir = sys.argv[1], sys.argv[2]
    files = sorted(glob.glob(os.path.join(schema_dir, 'bad-*.json')))
    print('1..%d' % (len(files) + 1))
    failed = 0
    with tempfile.TemporaryDirectory() as outdir:
        for i, path in enumerate(files, 1):
            problem = check(gen, path, outdir)
            name = os.path.basename(path)
            if problem:
                failed += 1
                print('not ok %d - %s: %s' % (i, name, problem))
            else:
                print('ok %d - %s' % (i, name))
        good = os.path.join(schema_dir, 'qapi-schema-test.json')
        proc = subprocess.run([sys.executable, gen, '-p', 'test-', '-o',
                               outdir, good], capture_output=True,
                              text=True, check=False)
        n = len(files) + 1
        if proc.returncode == 0 and not proc.stderr:
            print('ok %d - qapi-schema-test.json is accepted' % n)
        else:
            failed += 1
            print('not ok %d - qapi-schema-test.json: %s' % (
                n, proc.stderr.strip()))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
