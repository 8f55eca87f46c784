"""The big migration matrix (suite 'slow'), stopped guests: every
transport x form (uri | channels) x -incoming (command line | defer) x
RAM (all random | mostly zero), and bigger guests.

Reference: shared/reference/qemu-migration.md section 6.
"""

import pytest

from test_migration_framework import TRANSPORTS, Case, run_case

CASES = [Case(t, form, incoming, fill=fill)
         for t in sorted(TRANSPORTS)
         for form in ('uri', 'channels')
         for incoming in ('cmdline', 'defer')
         for fill in (True, False)] + [
    Case('file', mem='512M'),
    Case('unix', 'channels', 'defer', mem='512M'),
    Case('tcp', 'uri', 'defer', multifd=4, mem='512M'),
    Case('unix', 'channels', 'defer', multifd=8, fill=False, mem='512M'),
]


@pytest.mark.parametrize('case', CASES, ids=lambda c: c.id)
def test_migrate(case, vm_factory, tmp_path):
    run_case(case, vm_factory, tmp_path)
