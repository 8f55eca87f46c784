"""The live migration matrix (suite 'slow'): socket transports x form x
-incoming x multifd channels x destination paused or running, with a
dirtying guest.  QEMU's own 3 MB/s recipe and repeated cancels are in
test_migration_converge.py.

Reference: shared/reference/qemu-migration.md section 6.
"""

import pytest

from test_migration_framework import Case, run_case

CASES = [Case(t, form, incoming, live=True, multifd=n, dst_paused=paused)
         for t in ('unix', 'tcp')
         for form, incoming in (('uri', 'cmdline'), ('channels', 'defer'),
                                ('uri', 'defer'))
         for n in (0, 2, 4)
         for paused in (True, False)
         if (paused or n == 0) and not (n and incoming == 'cmdline')] + [
    Case('fd-socket', form, incoming, live=True, dst_paused=paused)
    for form, incoming in (('uri', 'cmdline'), ('channels', 'defer'))
    for paused in (True, False)] + [
    Case(t, form, live=True)
    for t in ('file', 'file-offset', 'exec', 'fd-file')
    for form in ('uri', 'channels')] + [
    Case('unix', 'uri', 'defer', live=True, multifd=4, mem='256M'),
]


@pytest.mark.parametrize('case', CASES, ids=lambda c: c.id)
def test_migrate(case, vm_factory, tmp_path):
    run_case(case, vm_factory, tmp_path)

