"""pytest set-up for tern's interop tests: skip everything, with the
reason, when qemu-utils or the tern tools are missing; a fresh directory
per test (pytest's tmp_path)."""

import pytest

import interop


# Known gaps of tern's qcow2 driver (issue 4 is still open), each an
# expected failure that turns into an error the day it is fixed (strict),
# so the list only shrinks.  Keep the reason precise.
PREALLOC_MAP = ('preallocation=metadata: the allocation map differs from '
                'qemu-img\'s (the last cluster / zero flags)')
MAP_ZERO = ('block status: zeroed and unallocated ranges are merged or '
            'flagged differently from qemu-img map')
KNOWN_GAPS = {
    'test_tern_created_reads_in_qemu[preallocation=metadata]': PREALLOC_MAP,
    'test_tern_created_reads_in_qemu[preallocation=metadata,'
    'cluster_size=512]': PREALLOC_MAP,
    'test_tern_created_reads_in_qemu[preallocation=metadata,'
    'compat=0.10]': PREALLOC_MAP,
    'test_tern_created_reads_in_qemu[preallocation=metadata,'
    'extended_l2=on]': PREALLOC_MAP,
    'test_map_json_matches_qemu[defaults]': MAP_ZERO,
    'test_map_json_matches_qemu[cluster_size=512]': MAP_ZERO,
    'test_map_json_matches_qemu[extended_l2=on]': MAP_ZERO,
    'test_map_json_matches_qemu[preallocation=metadata]': PREALLOC_MAP,
}


def pytest_collection_modifyitems(config, items):
    why = interop.missing_tools()
    if why:
        skip = pytest.mark.skip(reason=why)
        for item in items:
            item.add_marker(skip)
        return
    for item in items:
        reason = KNOWN_GAPS.get(item.name)
        if reason:
            item.add_marker(pytest.mark.xfail(strict=True, reason=reason))


def pytest_report_header(config):
    why = interop.missing_tools()
    return [f'interop: {why}' if why else
            f'interop: qemu-img {interop.QEMU_IMG}, qemu-io {interop.QEMU_IO}']
