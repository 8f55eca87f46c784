"""QEMU's convergence recipe, as its tests use it (suite 'slow'): hold
the migration with max-bandwidth 3 MB/s and downtime-limit 1 ms until
MIGRATION_PASS 2, then let it finish with 1 GB/s and 30 s.  A 64 MiB
random guest needs about 22 s for its first pass at 3 MB/s.  Also
repeated cancels of live multifd migrations.

Reference: shared/reference/qemu-migration.md section 6.2.
"""

import pytest

from ternd import (CONVERGE, NON_CONVERGE, MiB, guest_digest,
                   guest_workload, set_caps, set_params)
from test_migration_framework import Case, reset_logs, run_case

CASES = [
    Case('unix', live=True, slow_converge=True),
    Case('tcp', 'channels', 'defer', live=True, multifd=4,
         slow_converge=True),
    Case('file', live=True, slow_converge=True),
]


@pytest.mark.parametrize('case', CASES, ids=lambda c: c.id)
def test_migrate(case, vm_factory, tmp_path):
    run_case(case, vm_factory, tmp_path)


def test_cancel_repeatedly(vm_factory, tmp_path):
    """Cancel five live multifd migrations in a row, then complete one."""
    src = vm_factory(['-m', '64M'])
    set_caps(src.qmp, {'events': True, 'multifd': True})
    set_params(src.qmp, {'multifd-channels': 4})
    guest_workload(src.qmp, fill=True, seed=8)
    guest_workload(src.qmp, ram_dirty_rate=16 * MiB)
    for i in range(6):
        reset_logs(src.qmp)
        sock = tmp_path / f'mig{i}.sock'
        dst = vm_factory(['-m', '64M', '-S', '-incoming', 'defer'])
        set_caps(dst.qmp, {'events': True, 'multifd': True})
        set_params(dst.qmp, {'multifd-channels': 4})
        dst.cmd_ok('migrate-incoming', uri=f'unix:{sock}')
        set_params(src.qmp, NON_CONVERGE)
        src.cmd_ok('migrate', uri=f'unix:{sock}')
        src.qmp.wait_migration('active')
        if i < 5:
            src.cmd_ok('migrate_cancel')
            src.qmp.wait_migration('cancelled')
            assert dst.wait() == 1, dst.stderr()
            continue
        src.qmp.wait_pass(2)
        set_params(src.qmp, CONVERGE)
        src.qmp.wait_migration('completed')
        dst.qmp.wait_migration('completed')
        want = guest_digest(src.qmp)
        assert want['ram-consistent'] is True
        assert guest_digest(dst.qmp) == want
