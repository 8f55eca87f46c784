#!/bin/sh
# run-tests.sh BUILD SUITE: run one meson suite and print the case count.
build=$1
suite=$2
rm -f "$build"/meson-logs/testlog.junit.xml
find "$build/tests" -name '*.junit.xml' -delete 2>/dev/null
meson test -C "$build" --no-rebuild --suite "$suite" --print-errorlogs \
    --num-processes 2
status=$?
/usr/bin/python3 "$(dirname "$0")/test-summary.py" "$build"
summary=$?
[ $status -eq 0 ] && [ $summary -eq 0 ]
