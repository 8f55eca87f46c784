"""pytest fixtures for tern's functional tests.

vm_factory(args, **kw) launches a Ternd (see ternd.py) and returns it; every
daemon a test started is reaped at teardown, and a daemon that crashed or
ignored SIGTERM fails the test there, with its stderr.
"""

import pytest

import ternd


@pytest.fixture
def vm_factory():
    started = []

    def make(args=(), **kw):
        vm = ternd.Ternd(args, **kw)
        started.append(vm)
        return vm.launch()

    yield make
    problems = []
    for vm in started:
        vm.shutdown()
        problems += vm.problems
        vm.cleanup()
    if problems:
        pytest.fail('\n'.join(problems), pytrace=False)


@pytest.fixture
def vm(vm_factory):
    """A running ternd (default machine) with a negotiated QMP client."""
    return vm_factory()
