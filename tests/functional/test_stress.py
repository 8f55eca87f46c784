"""Heavier QMP cases (suite 'slow'): churn, volume, garbage, leaks.

Each case checks that ternd stays up, keeps answering in order, and does
not leak file descriptors.
"""

import os
import random
import threading

from ternd import assert_error, assert_return, dump


def fd_count(vm):
    return len(os.listdir(f'/proc/{vm.proc.pid}/fd'))


def test_connect_disconnect_churn(vm):
    vm.qmp.barrier()
    before = fd_count(vm)
    for i in range(200):
        conn = vm.connect(negotiate=(i % 2 == 0))
        if i % 3 == 0:
            conn.send_raw(b'{"execute": "query-status", "id": 1}')
        conn.close()
        vm.conns.remove(conn)
    vm.qmp.barrier()
    assert fd_count(vm) == before, 'ternd leaks fds of closed clients'


def test_concurrent_pipelines(vm):
    clients = [vm.connect() for _ in range(4)]
    count = 2000
    results = {}

    def run(idx, conn):
        data = b''.join(b'{"execute": "query-status", "id": %d}' % i
                        for i in range(count))
        sender = threading.Thread(target=conn.send_raw, args=(data,))
        sender.start()
        try:
            results[idx] = [conn.recv_reply(timeout=60)['id']
                            for _ in range(count)]
        except Exception as e:   # reported below, with the client index
            results[idx] = e
        sender.join(60)

    threads = [threading.Thread(target=run, args=(i, c))
               for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for i in range(len(clients)):
        assert results.get(i) == list(range(count)), \
            f'client {i}: {str(results.get(i))[:300]}'


def test_random_garbage(vm):
    rng = random.Random(20250)
    other = vm.connect()
    for round_ in range(20):
        victim = vm.connect(negotiate=round_ % 2 == 0)
        victim.send_raw(bytes(rng.randrange(256) for _ in range(4096)))
        victim.close()
        vm.conns.remove(victim)
        assert_return(other.cmd('query-status', id=round_), id_=round_)
    vm.assert_alive()


def test_garbage_then_resync(vm):
    rng = random.Random(7)
    garbage = bytes(rng.choice(b'{}[]",:\\ \'abc01\x80\xff') for _ in
                    range(20000))
    # A control character other than TAB/CR/LF puts the parser back in a
    # known state; what comes next is a fresh request.
    vm.qmp.send_raw(garbage + b'\x01')
    vm.qmp.send({'execute': 'query-status', 'id': 'resync'})
    while True:
        reply = vm.qmp.recv_reply()
        if reply.get('id') == 'resync':
            assert_return(reply)
            break
        assert 'error' in reply and reply['error']['class'] == \
            'GenericError', dump(reply)


def test_getfd_cycles_do_not_leak(vm):
    vm.qmp.barrier()
    before = fd_count(vm)
    for i in range(100):
        r, w = os.pipe()
        try:
            assert_return(vm.qmp.send_fd(w, f'f{i % 5}'), {})
            if i % 2:
                vm.cmd_ok('closefd', fdname=f'f{i % 5}')
        finally:
            os.close(r)
            os.close(w)
    for i in range(5):
        vm.cmd('closefd', fdname=f'f{i}')
    for i in range(50):
        r, w = os.pipe()
        try:
            ret = vm.cmd_ok('add-fd', {'fdset-id': i % 3}, fds=[w])
            assert ret['fdset-id'] == i % 3, dump(ret)
        finally:
            os.close(r)
            os.close(w)
    for i in range(3):
        vm.cmd_ok('remove-fd', {'fdset-id': i})
    assert vm.cmd_ok('query-fdsets') == []
    assert_error(vm.cmd('remove-fd', {'fdset-id': 0}), 'GenericError',
                 "File descriptor named 'fdset-id:0' not found")
    assert fd_count(vm) == before, 'ternd leaks passed fds'


def test_start_quit_cycles(vm_factory):
    for _ in range(15):
        vm = vm_factory()
        assert_return(vm.cmd('quit'), {})
        vm.qmp.wait_eof()
        assert vm.wait() == 0, vm.stderr()
