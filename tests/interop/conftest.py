"""pytest set-up for tern's interop tests: skip everything, with the
reason, when qemu-utils or the tern tools are missing; a fresh directory
per test (pytest's tmp_path)."""

import pytest

import interop


# Known gaps of tern's qcow2 driver, each an expected failure that turns
# into an error the day it is fixed (strict), so the list only shrinks.
# Keep the reason precise.  Empty: no known gap.
KNOWN_GAPS = {}


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
