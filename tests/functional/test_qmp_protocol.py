"""QMP wire protocol: greeting, negotiation, framing, ids, bad input.

Reference: shared/reference/qemu-control.md sections 1 and 7.  Each bad
input must leave the connection usable and a second client unaffected.
"""

import json
import threading
import time

import pytest

from ternd import ProtocolError, assert_error, assert_return, dump

NEGOTIATE_FIRST = "Expecting capabilities negotiation with 'qmp_capabilities'"


def check_usable(*conns):
    """Each connection still answers, and has nothing stray queued."""
    for conn in conns:
        reply = conn.cmd('query-status', id='alive')
        assert_return(reply, id_='alive')


# -- greeting and negotiation ------------------------------------------------

def test_greeting_shape(vm_factory):
    vm = vm_factory(negotiate=False)
    g = vm.qmp.greeting
    assert list(g) == ['QMP'], dump(g)
    assert list(g['QMP']) == ['version', 'capabilities'], dump(g)
    version = g['QMP']['version']
    assert list(version) == ['qemu', 'package'], dump(g)
    assert version['qemu'] == {'major': 10, 'minor': 0, 'micro': 0}, dump(g)
    assert list(version['qemu']) == ['micro', 'minor', 'major'], dump(g)
    assert isinstance(version['package'], str), dump(g)
    assert version['package'].startswith('tern '), dump(g)
    assert g['QMP']['capabilities'] == [], dump(g)


def test_greeting_equals_query_version(vm):
    assert vm.qmp.greeting['QMP']['version'] == vm.cmd_ok('query-version')


def test_greeting_on_every_connection(vm):
    second = vm.connect(negotiate=False)
    assert second.greeting == vm.qmp.greeting


@pytest.mark.parametrize('name', ['query-status', 'query-version', 'stop',
                                  'nosuch'])
def test_command_before_negotiation(vm_factory, name):
    vm = vm_factory(negotiate=False)
    reply = vm.qmp.cmd(name, id='x')
    assert_error(reply, 'CommandNotFound', NEGOTIATE_FIRST, id_='x')
    vm.qmp.negotiate()
    assert vm.cmd_ok('query-status')['status'] == 'running'


def test_json_error_before_negotiation_unchanged(vm_factory):
    vm = vm_factory(negotiate=False)
    vm.qmp.send_raw(b'{"execute": }\r\n')
    assert_error(vm.qmp.recv(), 'GenericError',
                 'JSON parse error, expecting value')
    reply = vm.qmp.cmd('qmp_capabilities', {'foo': 1})
    assert_error(reply, 'GenericError', "Parameter 'foo' is unexpected")
    vm.qmp.negotiate()


def test_no_events_before_negotiation(vm_factory):
    vm = vm_factory()
    waiting = vm.connect(negotiate=False)
    vm.cmd_ok('stop')
    vm.qmp.events_wait('STOP')
    vm.cmd_ok('cont')
    vm.qmp.events_wait('RESUME')
    # The broadcast of STOP/RESUME went out before the replies above; a
    # client still negotiating must have got none of it.
    reply = waiting.cmd('qmp_capabilities', id=1)
    assert_return(reply, {}, id_=1)
    assert waiting.events == [], dump(waiting.events)
    vm.cmd_ok('stop')
    assert waiting.events_wait('STOP')['event'] == 'STOP'


def test_capabilities_twice(vm):
    reply = vm.cmd('qmp_capabilities', id=2)
    assert_error(reply, 'CommandNotFound',
                 'Capabilities negotiation is already complete, '
                 'command ignored', id_=2)
    check_usable(vm.qmp)


def test_capabilities_oob_not_available(vm_factory):
    vm = vm_factory(negotiate=False)
    reply = vm.qmp.cmd('qmp_capabilities', {'enable': ['oob']})
    assert_error(reply, 'GenericError', 'Capability oob not available')
    vm.qmp.negotiate()


@pytest.mark.parametrize('enable, desc', [
    ('oob', "Invalid parameter type for 'enable', expected: array"),
    (['foo'], "Parameter 'null' does not accept value 'foo'"),
])
def test_capabilities_bad_enable(vm_factory, enable, desc):
    vm = vm_factory(negotiate=False)
    reply = vm.qmp.cmd('qmp_capabilities', {'enable': enable})
    assert_error(reply, 'GenericError', desc)
    vm.qmp.negotiate()


def test_capabilities_empty_enable(vm_factory):
    vm = vm_factory(negotiate=False)
    assert_return(vm.qmp.cmd('qmp_capabilities', {'enable': []}), {})


# -- replies, ids, member order ----------------------------------------------

IDS = ['abc', 42, -7, 1.5, {'a': [1, 2, {'b': None}]}, [1, 'x', None],
       None, True, '']


@pytest.mark.parametrize('id_', IDS, ids=[json.dumps(i) for i in IDS])
def test_id_echo_success(vm, id_):
    reply = vm.cmd('query-status', id=id_, has_id=True)
    assert_return(reply, id_=id_)
    assert list(reply) == ['return', 'id'], dump(reply)


@pytest.mark.parametrize('id_', IDS, ids=[json.dumps(i) for i in IDS])
@pytest.mark.parametrize('name, args, klass', [
    ('nosuch', None, 'CommandNotFound'),
    ('query-status', {'foo': 1}, 'GenericError'),
    ('getfd', {}, 'GenericError'),
])
def test_id_echo_error(vm, id_, name, args, klass):
    reply = vm.cmd(name, args, id=id_, has_id=True)
    assert 'error' in reply and reply['error']['class'] == klass, dump(reply)
    assert 'id' in reply and reply['id'] == id_, dump(reply)
    assert list(reply) == ['id', 'error'], dump(reply)
    assert list(reply['error']) == ['class', 'desc'], dump(reply)


@pytest.mark.parametrize('request_', [
    {'execute': 'query-status', 'foo': 1, 'id': 'i'},
    {'execute': 1, 'id': 'i'},
    {'execute': 'query-status', 'arguments': [], 'id': 'i'},
    {'arguments': {}, 'id': 'i'},
])
def test_id_echo_request_errors(vm, request_):
    vm.qmp.send(request_)
    reply = vm.qmp.recv_reply()
    assert 'error' in reply and reply.get('id') == 'i', dump(reply)


def test_no_id_no_id(vm):
    reply = vm.cmd('query-status')
    assert 'id' not in reply, dump(reply)
    reply = vm.cmd('nosuch')
    assert 'id' not in reply, dump(reply)


def test_reply_ends_in_crlf(vm):
    vm.cmd('query-version')
    assert vm.qmp.raw_log[-1].endswith(b'}\r\n')
    assert vm.qmp.raw_log[-1].count(b'\n') == 1, vm.qmp.raw_log[-1]


def test_compact_output_format(vm):
    vm.qmp.send_raw(b'{"execute": "query-status", "id": "s"}')
    vm.qmp.recv()
    assert vm.qmp.raw_log[-1] == \
        b'{"return": {"status": "running", "running": true}, "id": "s"}\r\n'


def test_output_is_ascii(vm):
    vm.qmp.send_raw('{"execute": "query-status", "id": "\u00e9\U0001f600"}'
                    .encode('utf-8'))
    reply = vm.qmp.recv()
    assert reply['id'] == '\u00e9\U0001f600', dump(reply)
    assert b'"\\u00E9\\uD83D\\uDE00"' in vm.qmp.raw_log[-1], \
        vm.qmp.raw_log[-1]


def test_single_quotes_accepted(vm):
    vm.qmp.send_raw(b"{'execute': 'query-status', 'id': 'it\\'s'}")
    assert_return(vm.qmp.recv(), id_="it's")


# -- bad requests -------------------------------------------------------------

@pytest.fixture
def two(vm):
    """The vm's client plus a second, negotiated client."""
    return vm.qmp, vm.connect()


@pytest.mark.parametrize('raw, desc', [
    (b'{"execute": }', 'JSON parse error, expecting value'),
    (b'{"execute": "query-status",}', 'JSON parse error, expecting value'),
    (b'@\n', "JSON parse error, stray '@'"),
    (b'{"execute": "query-status", "execute": "stop"}',
     'JSON parse error, duplicate key'),
    (b'{"execute" "query-status"}', 'JSON parse error, missing : in object '
     'pair'),
    (b'{1: 2}', 'JSON parse error, key is not a string in object'),
    (b'[tru]', "JSON parse error, invalid keyword 'tru'"),
], ids=['missing-value', 'trailing-comma', 'stray', 'duplicate-key',
        'missing-colon', 'key-not-string', 'bad-keyword'])
def test_malformed_json(vm, two, raw, desc):
    c1, c2 = two
    c1.send_raw(raw)
    assert_error(c1.recv_reply(), 'GenericError', desc)
    check_usable(c1, c2)
    assert vm.cmd_ok('query-status')['status'] == 'running'


@pytest.mark.parametrize('raw', [b'[]', b'3\n', b'"str"', b'null\n',
                                 b'true\n', b'[{"execute": "stop"}]'])
def test_not_an_object(vm, two, raw):
    c1, c2 = two
    c1.send_raw(raw)
    assert_error(c1.recv_reply(), 'GenericError',
                 'QMP input must be a JSON object')
    check_usable(c1, c2)
    assert vm.cmd_ok('query-status')['status'] == 'running'


@pytest.mark.parametrize('request_, desc', [
    ({'execute': 'query-status', 'foo': 1},
     "QMP input member 'foo' is unexpected"),
    ({'execute': 'query-status', 'exec-oob': 'query-status'},
     "QMP input member 'exec-oob' is unexpected"),
    ({'execute': 1}, "QMP input member 'execute' must be a string"),
    ({'execute': None}, "QMP input member 'execute' must be a string"),
    ({'execute': 'query-status', 'arguments': []},
     "QMP input member 'arguments' must be an object"),
    ({'execute': 'query-status', 'arguments': 'x'},
     "QMP input member 'arguments' must be an object"),
    ({'arguments': {}}, "QMP input lacks member 'execute'"),
    ({}, "QMP input lacks member 'execute'"),
], ids=['unknown-key', 'exec-oob', 'execute-int', 'execute-null',
        'arguments-list', 'arguments-str', 'no-execute', 'empty'])
def test_bad_request(two, request_, desc):
    c1, c2 = two
    request_ = dict(request_, id='r')
    c1.send(request_)
    assert_error(c1.recv_reply(), 'GenericError', desc, id_='r')
    check_usable(c1, c2)


def test_unknown_command(two):
    c1, c2 = two
    assert_error(c1.cmd('foo', id=1), 'CommandNotFound',
                 'The command foo has not been found', id_=1)
    check_usable(c1, c2)


@pytest.mark.parametrize('name, args, desc', [
    ('getfd', {'fdname': 1},
     "Invalid parameter type for 'fdname', expected: string"),
    ('getfd', {}, "Parameter 'fdname' is missing"),
    ('getfd', {'fdname': 'x', 'extra': 1}, "Parameter 'extra' is unexpected"),
    ('query-status', {'foo': 1}, "Parameter 'foo' is unexpected"),
    ('human-monitor-command', {'command-line': 1},
     "Invalid parameter type for 'command-line', expected: string"),
    ('human-monitor-command', {}, "Parameter 'command-line' is missing"),
    ('human-monitor-command', {'command-line': 'info status',
                               'cpu-index': 'x'},
     "Invalid parameter type for 'cpu-index', expected: integer"),
    ('add-fd', {'fdset-id': 'x'},
     "Invalid parameter type for 'fdset-id', expected: integer"),
    ('add-fd', {'fdset-id': 1.0},
     "Invalid parameter type for 'fdset-id', expected: integer"),
    ('add-fd', {'opaque': True},
     "Invalid parameter type for 'opaque', expected: string"),
    ('remove-fd', {}, "Parameter 'fdset-id' is missing"),
    ('remove-fd', {'fdset-id': 0, 'fd': None},
     "Invalid parameter type for 'fd', expected: integer"),
    ('closefd', {'fdname': []},
     "Invalid parameter type for 'fdname', expected: string"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 25 else None)
def test_bad_arguments(two, name, args, desc):
    c1, c2 = two
    assert_error(c1.cmd(name, args, id='a'), 'GenericError', desc, id_='a')
    check_usable(c1, c2)


def test_validation_before_side_effect(vm):
    reply = vm.cmd('stop', {'now': True})
    assert_error(reply, 'GenericError', "Parameter 'now' is unexpected")
    assert vm.cmd_ok('query-status') == {'status': 'running',
                                         'running': True}
    vm.qmp.barrier()
    assert vm.qmp.events_take('STOP') == []


# -- framing: pieces, batches, pipelining -------------------------------------

def test_message_in_pieces(two):
    c1, c2 = two
    data = b'{"execute": "query-status", "arguments": {}, "id": "p"}'
    for i in range(len(data)):
        c1.send_raw(data[i:i + 1])
        if i == len(data) // 2:
            # The other client is served while c1's request is half in.
            check_usable(c2)
    assert_return(c1.recv_reply(), id_='p')
    check_usable(c1, c2)


def test_several_messages_in_one_send(two):
    c1, c2 = two
    c1.send_raw(b'{"execute": "query-version", "id": 1}'
                b'{"execute": "query-status", "id": 2}\n'
                b'{"execute": "nosuch", "id": 3}  '
                b'{"execute": "query-name", "id": 4}\r\n')
    replies = [c1.recv_reply() for _ in range(4)]
    assert [r.get('id') for r in replies] == [1, 2, 3, 4], dump(replies)
    assert 'error' in replies[2] and 'return' in replies[3], dump(replies)
    check_usable(c1, c2)


def test_pipelined_requests_in_order(two):
    c1, c2 = two
    count = 500
    data = b''.join(json.dumps({'execute': 'query-status', 'id': i}).encode()
                    for i in range(count))
    # Send from a thread: the daemon may stop reading (backpressure) until
    # its replies are read, so sending and reading must overlap.
    sender = threading.Thread(target=c1.send_raw, args=(data,))
    sender.start()
    try:
        ids = [c1.recv_reply()['id'] for _ in range(count)]
    finally:
        sender.join(10)
    assert ids == list(range(count))
    check_usable(c1, c2)


def test_json_recovers_after_stray(two):
    c1, c2 = two
    c1.send_raw(b'@\n{"execute": "query-status", "id": "after"}')
    assert_error(c1.recv_reply(), 'GenericError',
                 "JSON parse error, stray '@'")
    assert_return(c1.recv_reply(), id_='after')
    check_usable(c2)


# -- two clients and events ---------------------------------------------------

def check_event(ev, name):
    """Shape of a STOP/RESUME event: timestamp, event, no data."""
    text = dump(ev)
    assert ev['event'] == name, text
    assert list(ev) == ['timestamp', 'event'], text
    assert list(ev)[:2] == ['timestamp', 'event'], text
    ts = ev['timestamp']
    assert list(ts) == ['seconds', 'microseconds'], text
    assert isinstance(ts['seconds'], int), text
    assert isinstance(ts['microseconds'], int), text
    assert 0 <= ts['microseconds'] < 1000000, text
    assert abs(ts['seconds'] - time.time()) < 120, text


def test_two_clients_see_stop_resume(two):
    c1, c2 = two
    c1.cmd_ok('stop')
    check_event(c1.events_wait('STOP'), 'STOP')
    check_event(c2.events_wait('STOP'), 'STOP')
    c2.cmd_ok('cont')
    check_event(c2.events_wait('RESUME'), 'RESUME')
    check_event(c1.events_wait('RESUME'), 'RESUME')


def test_event_before_reply(vm):
    vm.qmp.send({'execute': 'stop', 'id': 's'})
    first = vm.qmp.recv()
    second = vm.qmp.recv()
    assert first.get('event') == 'STOP', dump([first, second])
    assert 'data' not in first, dump(first)
    assert_return(second, {}, id_='s')


def test_client_disconnect_does_not_disturb_others(vm):
    other = vm.connect()
    other.send_raw(b'{"execute": "query-status", "id": 1}'
                   b'{"execute": "query-status"')
    other.close()
    check_usable(vm.qmp)
    third = vm.connect()
    check_usable(third)


def test_many_clients(vm):
    clients = [vm.connect() for _ in range(8)]
    vm.cmd_ok('stop')
    for c in clients:
        c.events_wait('STOP')
    check_usable(*clients)


def test_frame_checker_rejects_bad_frames():
    # Self-test of the helper: a frame without CRLF is a protocol error.
    from ternd import check_frame
    with pytest.raises(ProtocolError):
        check_frame(b'{"return": {}}\n')
    with pytest.raises(ProtocolError):
        check_frame(b'{"return": "\xc3\xa9"}\r\n')
    assert check_frame(b'{"return": {}}\r\n') == {'return': {}}
