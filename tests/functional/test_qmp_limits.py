"""QMP input limits: huge messages and deep nesting.

tern's limits (shared/reference/qemu-control.md section 1.8, tightened by
tern): a message over 16 MiB gets "JSON token size limit exceeded", nesting
over 1024 gets "JSON nesting depth limit exceeded".  After a limit error
the daemon may report follow-on errors for the rest of the dropped message;
the tests accept those (GenericError, no id) but nothing else, and require
that the connection and a second client keep working.
"""

import sys
import threading

from ternd import assert_error, assert_return, dump

MIB = 1024 * 1024

# json.loads and == recurse once per nesting level.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))


def send_in_thread(conn, data):
    """Send data while the caller reads, so backpressure cannot deadlock."""
    done = {}

    def run():
        try:
            conn.send_raw(data)
        except OSError as e:
            done['error'] = e
    t = threading.Thread(target=run)
    t.start()
    return t, done


def errors_until(conn, sync_id):
    """Send a sync request; return the error replies that precede its
    reply.  Every one must be a GenericError without id."""
    conn.send({'execute': 'query-status', 'id': sync_id})
    errors = []
    while True:
        reply = conn.recv_reply()
        if reply.get('id') == sync_id:
            assert_return(reply, id_=sync_id)
            return errors
        assert 'id' not in reply and 'error' in reply, dump(reply)
        assert reply['error']['class'] == 'GenericError', dump(reply)
        errors.append(reply['error']['desc'])


def test_17_mib_message(vm):
    other = vm.connect()
    payload = ('{"execute": "human-monitor-command", "arguments": '
               '{"command-line": "' + 'x' * (17 * MIB) + '"}, "id": 1}')
    sender, result = send_in_thread(vm.qmp, payload.encode())
    try:
        first = vm.qmp.recv_reply(timeout=60)
    finally:
        sender.join(60)
    assert not sender.is_alive() and 'error' not in result, \
        f'sending 17 MiB did not complete: {result}'
    assert_error(first, 'GenericError', 'JSON token size limit exceeded')
    errors_until(vm.qmp, 'sync')
    assert_return(other.cmd('query-status', id='o'), id_='o')
    vm.assert_alive()


def test_16_mib_minus_a_bit_accepted(vm):
    # Just under the limit is a valid request: the HMP line is unknown.
    line = 'y' * (16 * MIB - 4096)
    payload = ('{"execute": "human-monitor-command", "arguments": '
               '{"command-line": "' + line + '"}, "id": 2}')
    sender, result = send_in_thread(vm.qmp, payload.encode())
    try:
        reply = vm.qmp.recv_reply(timeout=60)
    finally:
        sender.join(60)
    assert 'error' not in result, result
    assert reply.get('id') == 2, dump(reply)[:300]
    assert 'return' in reply and 'unknown command' in reply['return'], \
        dump(reply)[:300]


def test_nesting_1025_rejected(vm):
    other = vm.connect()
    depth = 1025
    vm.qmp.send_raw(b'[' * depth + b']' * depth)
    first = vm.qmp.recv_reply()
    assert_error(first, 'GenericError', 'JSON nesting depth limit exceeded')
    errors_until(vm.qmp, 'sync')
    assert_return(other.cmd('query-status', id='o'), id_='o')
    vm.assert_alive()


def test_nesting_1025_inside_request(vm):
    depth = 1024  # plus the request object itself: 1025
    vm.qmp.send_raw(b'{"execute": "query-status", "id": ' + b'[' * depth +
                    b']' * depth + b'}')
    first = vm.qmp.recv_reply()
    assert_error(first, 'GenericError', 'JSON nesting depth limit exceeded')
    errors_until(vm.qmp, 'sync')


def test_nesting_1000_is_a_value(vm):
    depth = 1000
    vm.qmp.send_raw(b'[' * depth + b']' * depth)
    reply = vm.qmp.recv_reply()
    # Parsed as one JSON value: an array, so not a request.  Any error is
    # fine; a crash or no reply is not.
    assert 'error' in reply and 'id' not in reply, dump(reply)[:300]
    assert_return(vm.cmd('query-status', id='s'), id_='s')
    vm.assert_alive()


def test_nesting_1024_id_echoed(vm):
    depth = 1023  # plus the request object itself: 1024, still allowed
    nested = []
    for _ in range(depth - 1):
        nested = [nested]
    vm.qmp.send_raw(b'{"execute": "query-status", "id": ' + b'[' * depth +
                    b']' * depth + b'}')
    reply = vm.qmp.recv_reply()
    assert 'return' in reply, dump(reply)[:300]
    assert reply['id'] == nested, 'deep id not echoed verbatim'


def test_many_tokens_in_one_message(vm):
    # 300k tokens: well under the token-count limit, a big but valid id.
    ids = list(range(100000))
    vm.qmp.send_raw(b'{"execute": "query-status", "id": ' +
                    str(ids).encode() + b'}')
    reply = vm.qmp.recv_reply(timeout=60)
    assert 'return' in reply and reply['id'] == ids, dump(reply)[:300]
