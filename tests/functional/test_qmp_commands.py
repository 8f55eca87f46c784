"""The QMP commands of the monitor and the run state.

Reference: shared/reference/qemu-control.md sections 2 and 3.
"""

import os
import re
import select

import pytest

from ternd import Ternd, assert_error, assert_return, dump, free_tcp_port

COMMANDS = ['qmp_capabilities', 'query-version', 'query-commands',
            'query-qmp-schema', 'query-status', 'query-name', 'query-uuid',
            'stop', 'cont', 'quit', 'human-monitor-command', 'getfd',
            'closefd', 'add-fd', 'remove-fd', 'query-fdsets']

RUN_STATES = ['debug', 'inmigrate', 'internal-error', 'io-error', 'paused',
              'postmigrate', 'prelaunch', 'finish-migrate', 'restore-vm',
              'running', 'save-vm', 'shutdown', 'suspended', 'watchdog',
              'guest-panicked', 'colo']

SHUTDOWN_CAUSES = ['none', 'host-error', 'host-qmp-quit',
                   'host-qmp-system-reset', 'host-signal', 'host-ui',
                   'guest-shutdown', 'guest-reset', 'guest-panic',
                   'subsystem-reset', 'snapshot-load']

ZERO_UUID = '00000000-0000-0000-0000-000000000000'


# -- query-version, query-commands -------------------------------------------

def test_query_version(vm):
    ret = vm.cmd_ok('query-version')
    assert list(ret) == ['qemu', 'package'], dump(ret)
    assert ret['qemu'] == {'major': 10, 'minor': 0, 'micro': 0}, dump(ret)
    assert re.fullmatch(r'tern \d+\.\d+\.\d+', ret['package']), dump(ret)


def test_query_commands(vm):
    ret = vm.cmd_ok('query-commands')
    assert isinstance(ret, list), dump(ret)
    for entry in ret:
        assert list(entry) == ['name'], dump(entry)
    names = [e['name'] for e in ret]
    assert len(names) == len(set(names)), 'duplicates: ' + dump(names)
    missing = [c for c in COMMANDS if c not in names]
    assert not missing, f'missing {missing} in ' + dump(names)


def test_query_commands_same_for_every_client(vm):
    other = vm.connect()
    assert other.cmd_ok('query-commands') == vm.cmd_ok('query-commands')


# -- query-qmp-schema ---------------------------------------------------------

META_TYPES = {'builtin', 'enum', 'array', 'object', 'alternate', 'command',
              'event'}
BUILTINS = {'str', 'int', 'number', 'bool', 'null', 'any'}


@pytest.fixture(scope='module')
def schema():
    vm = Ternd()
    try:
        entries = vm.launch().cmd_ok('query-qmp-schema')
    finally:
        vm.shutdown()
        vm.cleanup()
    assert isinstance(entries, list) and entries, dump(entries)[:300]
    return entries


def by_name(schema):
    table = {}
    for e in schema:
        assert e['name'] not in table, 'duplicate entry ' + dump(e)
        table[e['name']] = e
    return table


def referenced(entry):
    """Every type name an entry refers to."""
    meta = entry['meta-type']
    if meta == 'command':
        return [entry['arg-type'], entry['ret-type']]
    if meta == 'event':
        return [entry['arg-type']]
    if meta == 'array':
        return [entry['element-type']]
    if meta == 'object':
        return [m['type'] for m in entry['members']] + \
            [v['type'] for v in entry.get('variants', [])]
    if meta == 'alternate':
        return [m['type'] for m in entry['members']]
    return []


def test_schema_entry_shapes(schema):
    for e in schema:
        text = dump(e)
        assert isinstance(e.get('name'), str), text
        assert e.get('meta-type') in META_TYPES, text
        meta = e['meta-type']
        if meta == 'builtin':
            assert e['name'] in BUILTINS, text
            assert e['json-type'] in ('string', 'number', 'int', 'boolean',
                                      'null', 'object', 'array', 'value'), text
        elif meta == 'enum':
            assert [m['name'] for m in e['members']] == e['values'], text
        elif meta == 'command':
            assert 'allow-oob' not in e or e['allow-oob'] is True, text
        elif meta == 'object':
            for m in e['members']:
                assert set(m) <= {'name', 'type', 'default', 'features'}, text
                assert m.get('default', None) is None, text


def test_schema_names_masked(schema):
    for e in schema:
        meta, name = e['meta-type'], e['name']
        if meta in ('command', 'event', 'builtin'):
            continue
        if meta == 'array':
            assert name == '[' + e['element-type'] + ']', dump(e)
        else:
            assert re.fullmatch(r'\d+', name), 'type name not masked: ' + \
                dump(e)


def test_schema_references_resolve(schema):
    table = by_name(schema)
    for e in schema:
        for ref in referenced(e):
            assert ref in table, f'{ref!r} is missing, used by ' + dump(e)


def test_schema_commands_match_query_commands(vm, schema):
    commands = {e['name'] for e in schema if e['meta-type'] == 'command'}
    listed = {e['name'] for e in vm.cmd_ok('query-commands')}
    # query-qmp-schema has gen: false in QEMU but is still a command.
    assert listed == commands, \
        f'only listed: {listed - commands}, only in schema: ' \
        f'{commands - listed}'


def test_schema_query_status(schema):
    table = by_name(schema)
    cmd = table['query-status']
    assert list(cmd) == ['name', 'ret-type', 'meta-type', 'arg-type'], \
        dump(cmd)
    assert table[cmd['arg-type']] == {'name': cmd['arg-type'], 'members': [],
                                      'meta-type': 'object'}, \
        dump(table[cmd['arg-type']])
    ret = table[cmd['ret-type']]
    assert ret['meta-type'] == 'object', dump(ret)
    members = {m['name']: m for m in ret['members']}
    assert sorted(members) == ['running', 'status'], dump(ret)
    assert members['running'] == {'name': 'running', 'type': 'bool'}, \
        dump(ret)
    status = table[members['status']['type']]
    assert status['meta-type'] == 'enum', dump(status)
    assert status['values'] == RUN_STATES, dump(status)


def test_schema_empty_object_shared(schema):
    table = by_name(schema)
    stop, cont = table['stop'], table['cont']
    empty = stop['arg-type']
    assert table[empty]['members'] == [], dump(table[empty])
    assert stop['ret-type'] == empty and cont['arg-type'] == empty, \
        dump([stop, cont])


def test_schema_qmp_capabilities(schema):
    table = by_name(schema)
    cmd = table['qmp_capabilities']
    args = table[cmd['arg-type']]
    assert args['members'] == [{'name': 'enable', 'default': None,
                                'type': args['members'][0]['type']}], \
        dump(args)
    array = table[args['members'][0]['type']]
    assert array['meta-type'] == 'array', dump(array)
    assert table[array['element-type']]['values'] == ['oob'], \
        dump(table[array['element-type']])


def test_schema_human_monitor_command(schema):
    table = by_name(schema)
    cmd = table['human-monitor-command']
    assert cmd['ret-type'] == 'str', dump(cmd)
    members = {m['name']: m for m in table[cmd['arg-type']]['members']}
    assert members['command-line'] == {'name': 'command-line',
                                       'type': 'str'}, dump(members)
    assert members['cpu-index'] == {'name': 'cpu-index', 'default': None,
                                    'type': 'int'}, dump(members)


@pytest.mark.parametrize('name', ['STOP', 'RESUME', 'SHUTDOWN'])
def test_schema_events(schema, name):
    table = by_name(schema)
    ev = table[name]
    assert ev['meta-type'] == 'event', dump(ev)
    data = table[ev['arg-type']]
    if name != 'SHUTDOWN':
        assert data['members'] == [], dump(data)
        return
    members = {m['name']: m for m in data['members']}
    assert members['guest'] == {'name': 'guest', 'type': 'bool'}, dump(data)
    reason = table[members['reason']['type']]
    assert reason['values'] == SHUTDOWN_CAUSES, dump(reason)


def test_schema_fd_commands(schema):
    table = by_name(schema)
    add = table['add-fd']
    members = {m['name']: m for m in table[add['arg-type']]['members']}
    assert members['fdset-id']['type'] == 'int', dump(members)
    assert members['opaque']['type'] == 'str', dump(members)
    ret = {m['name']: m for m in table[add['ret-type']]['members']}
    assert sorted(ret) == ['fd', 'fdset-id'], dump(ret)
    fdsets = table[table['query-fdsets']['ret-type']]
    assert fdsets['meta-type'] == 'array', dump(fdsets)


# -- run state: query-status, stop, cont --------------------------------------

def test_query_status_running(vm):
    reply = vm.cmd('query-status')
    assert_return(reply, {'status': 'running', 'running': True})
    assert list(reply['return']) == ['status', 'running'], dump(reply)


def test_query_status_prelaunch(vm_factory):
    vm = vm_factory(['-S'])
    assert vm.cmd_ok('query-status') == {'status': 'prelaunch',
                                         'running': False}


def test_stop_cont_events(vm):
    assert vm.cmd_ok('stop') == {}
    vm.qmp.events_wait('STOP')
    assert vm.cmd_ok('query-status') == {'status': 'paused',
                                         'running': False}
    assert vm.cmd_ok('cont') == {}
    vm.qmp.events_wait('RESUME')
    assert vm.cmd_ok('query-status') == {'status': 'running',
                                         'running': True}


def test_stop_when_stopped_no_event(vm):
    vm.cmd_ok('stop')
    vm.qmp.events_wait('STOP')
    assert vm.cmd_ok('stop') == {}
    vm.qmp.barrier()
    assert vm.qmp.events_take() == []
    assert vm.cmd_ok('query-status')['status'] == 'paused'


def test_cont_when_running_no_event(vm):
    assert vm.cmd_ok('cont') == {}
    vm.qmp.barrier()
    assert vm.qmp.events_take() == []


def test_prelaunch_stop_silent_cont_resumes(vm_factory):
    vm = vm_factory(['-S'])
    assert vm.cmd_ok('stop') == {}
    vm.qmp.barrier()
    assert vm.qmp.events_take() == []
    assert vm.cmd_ok('query-status')['status'] == 'prelaunch'
    assert vm.cmd_ok('cont') == {}
    vm.qmp.events_wait('RESUME')
    assert vm.cmd_ok('query-status') == {'status': 'running',
                                         'running': True}


@pytest.mark.parametrize('machine', ['none', 'tern', 'pc', 'q35'])
def test_machines_run(vm_factory, machine):
    vm = vm_factory(['-machine', machine])
    assert vm.cmd_ok('query-status')['status'] == 'running'


# -- query-name, query-uuid ---------------------------------------------------

@pytest.mark.parametrize('args, expected', [
    ([], {}),
    (['-name', 'myvm'], {'name': 'myvm'}),
    (['-name', 'guest=g1'], {'name': 'g1'}),
    (['-name', 'a,,b'], {'name': 'a,b'}),
    (['-name', 'x y'], {'name': 'x y'}),
], ids=['none', 'plain', 'guest-key', 'escaped-comma', 'space'])
def test_query_name(vm_factory, args, expected):
    vm = vm_factory(args)
    assert vm.cmd_ok('query-name') == expected


def test_query_uuid_default(vm):
    reply = vm.cmd('query-uuid')
    assert_return(reply, {'UUID': ZERO_UUID})


def test_query_uuid_set(vm_factory):
    uuid = '12345678-1234-5678-9abc-def012345678'
    vm = vm_factory(['-uuid', uuid])
    assert vm.cmd_ok('query-uuid') == {'UUID': uuid}


# -- quit ---------------------------------------------------------------------

def test_quit(vm):
    other = vm.connect()
    vm.qmp.send({'execute': 'quit', 'id': 'q'})
    event = vm.qmp.recv()
    assert event.get('event') == 'SHUTDOWN', dump(event)
    assert event['data'] == {'guest': False, 'reason': 'host-qmp-quit'}, \
        dump(event)
    assert list(event) == ['timestamp', 'event', 'data'], dump(event)
    assert list(event['data']) == ['guest', 'reason'], dump(event)
    assert_return(vm.qmp.recv(), {}, id_='q')
    vm.qmp.wait_eof()
    assert vm.wait() == 0, vm.stderr()
    other.wait_eof()
    assert [e['event'] for e in other.events] == ['SHUTDOWN'], \
        dump(other.events)


def test_quit_when_paused_no_stop_event(vm):
    vm.cmd_ok('stop')
    vm.qmp.events_wait('STOP')
    assert_return(vm.cmd('quit'), {})
    vm.qmp.wait_eof()
    assert [e['event'] for e in vm.qmp.events] == ['SHUTDOWN'], \
        dump(vm.qmp.events)
    assert vm.wait() == 0, vm.stderr()


# -- human-monitor-command ----------------------------------------------------

def test_hmp_info_status(vm):
    assert vm.hmp('info status') == 'VM status: running\r\n'
    vm.cmd_ok('stop')
    assert vm.hmp('info status') == 'VM status: paused\r\n'


def test_hmp_info_status_prelaunch(vm_factory):
    vm = vm_factory(['-S'])
    assert vm.hmp('info status') == 'VM status: paused (prelaunch)\r\n'


def test_hmp_info_version(vm):
    v = vm.cmd_ok('query-version')
    q = v['qemu']
    expected = f"{q['major']}.{q['minor']}.{q['micro']}{v['package']}\r\n"
    assert vm.hmp('info version') == expected


def test_hmp_info_name(vm_factory):
    vm = vm_factory(['-name', 'myvm'])
    assert vm.hmp('info name') == 'myvm\r\n'


def test_hmp_info_name_unset(vm):
    assert vm.hmp('info name') == ''


@pytest.mark.parametrize('line, text', [
    ('nosuch', "unknown command: 'nosuch'\r\n"),
    ('info nosuch', "unknown command: 'info nosuch'\r\n"),
])
def test_hmp_unknown_command(vm, line, text):
    assert vm.hmp(line) == text


def test_hmp_stop_cont(vm):
    assert vm.hmp('stop') == ''
    vm.qmp.events_wait('STOP')
    assert vm.cmd_ok('query-status')['status'] == 'paused'
    assert vm.hmp('c') == ''
    vm.qmp.events_wait('RESUME')
    assert vm.cmd_ok('query-status')['status'] == 'running'


def test_hmp_empty_line(vm):
    assert vm.hmp('') == ''


def test_hmp_quit(vm):
    vm.qmp.send({'execute': 'human-monitor-command',
                 'arguments': {'command-line': 'quit'}})
    event = vm.qmp.recv()
    assert event.get('event') == 'SHUTDOWN', dump(event)
    assert event['data'] == {'guest': False, 'reason': 'host-qmp-quit'}, \
        dump(event)
    # The reply, if the daemon gets to send it before exiting, is "".
    try:
        assert_return(vm.qmp.recv_reply(), '')
    except EOFError:
        pass
    vm.qmp.wait_eof()
    assert vm.wait() == 0, vm.stderr()


def test_hmp_help_lists_commands(vm):
    text = vm.hmp('help')
    assert 'stop|s  -- stop emulation\r\n' in text, text
    assert 'cont|c  -- resume emulation\r\n' in text, text
    assert text.endswith('\r\n'), text


# -- getfd / closefd ----------------------------------------------------------

def wait_eof(fd, timeout=10):
    """True when reading fd reports EOF within the timeout."""
    ready, _, _ = select.select([fd], [], [], timeout)
    return bool(ready) and os.read(fd, 1) == b''


def still_open(fd):
    """True when the pipe's write end is still open somewhere."""
    ready, _, _ = select.select([fd], [], [], 0)
    return not ready


@pytest.fixture
def pipe():
    r, w = os.pipe()
    yield r, w
    for fd in (r, w):
        try:
            os.close(fd)
        except OSError:
            pass


def test_getfd_closefd(vm, pipe):
    r, w = pipe
    assert_return(vm.qmp.send_fd(w, 'fd1'), {})
    os.close(w)
    assert still_open(r), 'ternd did not keep the passed fd'
    assert vm.cmd_ok('closefd', fdname='fd1') == {}
    assert wait_eof(r), 'closefd did not close the fd'
    assert_error(vm.cmd('closefd', fdname='fd1'), 'GenericError',
                 "File descriptor named 'fd1' not found")


def test_getfd_replaces_same_name(vm, pipe):
    r, w = pipe
    r2, w2 = os.pipe()
    try:
        assert_return(vm.qmp.send_fd(w, 'fd'), {})
        assert_return(vm.qmp.send_fd(w2, 'fd'), {})
        os.close(w)
        os.close(w2)
        assert wait_eof(r), 'the replaced fd was not closed'
        assert still_open(r2)
        vm.cmd_ok('closefd', fdname='fd')
        assert wait_eof(r2)
    finally:
        os.close(r2)


def test_getfd_without_fd(vm):
    assert_error(vm.cmd('getfd', fdname='fd1'), 'GenericError',
                 'No file descriptor supplied via SCM_RIGHTS')


def test_getfd_name_with_digit(vm, pipe):
    r, w = pipe
    reply = vm.cmd('getfd', fdname='1fd', fds=[w])
    assert_error(reply, 'GenericError',
                 "Parameter 'fdname' expects a name not starting with a digit")
    os.close(w)
    assert wait_eof(r), 'rejected fd was not closed'


def test_getfd_table_is_per_client(vm, pipe):
    r, w = pipe
    other = vm.connect()
    assert_return(vm.qmp.send_fd(w, 'mine'), {})
    os.close(w)
    assert_error(other.cmd('closefd', fdname='mine'), 'GenericError',
                 "File descriptor named 'mine' not found")
    assert still_open(r)


def test_getfd_closed_on_disconnect(vm, pipe):
    r, w = pipe
    other = vm.connect()
    assert_return(other.send_fd(w, 'x'), {})
    os.close(w)
    assert still_open(r)
    other.close()
    assert wait_eof(r), 'fd not closed when its client disconnected'
    vm.qmp.barrier()


def test_fd_with_unrelated_command_is_dropped(vm, pipe):
    r, w = pipe
    assert_return(vm.cmd('query-status', fds=[w]))
    os.close(w)
    # Not consumed by query-status: the next getfd must not find it.
    assert_error(vm.cmd('getfd', fdname='late'), 'GenericError',
                 'No file descriptor supplied via SCM_RIGHTS')
    assert wait_eof(r), 'an unused passed fd leaked in ternd'


# -- add-fd / remove-fd / query-fdsets ----------------------------------------

def same_file(pid, theirs, ours):
    """The daemon's fd number theirs refers to our fd ours."""
    return os.readlink(f'/proc/{pid}/fd/{theirs}') == \
        os.readlink(f'/proc/self/fd/{ours}')


def add_fd(conn, fd, **args):
    reply = conn.cmd('add-fd', args, fds=[fd])
    assert_return(reply)
    ret = reply['return']
    assert list(ret) == ['fd', 'fdset-id'], dump(reply)
    return ret


def test_add_fd_default_id(vm, pipe):
    r, w = pipe
    ret = add_fd(vm.qmp, w)
    assert ret['fdset-id'] == 0, dump(ret)
    assert same_file(vm.proc.pid, ret['fd'], w)
    ret2 = add_fd(vm.qmp, w)
    assert ret2['fdset-id'] == 1, dump(ret2)
    assert ret2['fd'] != ret['fd'], dump([ret, ret2])


def test_add_fd_lowest_free_id(vm, pipe):
    r, w = pipe
    add_fd(vm.qmp, w, **{'fdset-id': 0})
    add_fd(vm.qmp, w, **{'fdset-id': 2})
    assert add_fd(vm.qmp, w)['fdset-id'] == 1
    assert add_fd(vm.qmp, w)['fdset-id'] == 3


def test_query_fdsets_order(vm, pipe):
    r, w = pipe
    assert vm.cmd_ok('query-fdsets') == []
    a = add_fd(vm.qmp, w, **{'fdset-id': 0, 'opaque': 'a'})
    b = add_fd(vm.qmp, w, **{'fdset-id': 5})
    c = add_fd(vm.qmp, w, **{'fdset-id': 0, 'opaque': 'c'})
    reply = vm.cmd('query-fdsets')
    expected = [
        {'fds': [{'fd': b['fd']}], 'fdset-id': 5},
        {'fds': [{'fd': a['fd'], 'opaque': 'a'},
                 {'fd': c['fd'], 'opaque': 'c'}], 'fdset-id': 0},
    ]
    assert_return(reply, expected)
    first = reply['return'][0]
    assert list(first) == ['fds', 'fdset-id'], dump(reply)
    assert list(reply['return'][1]['fds'][0]) == ['fd', 'opaque'], \
        dump(reply)


def test_fdsets_are_global(vm, pipe):
    r, w = pipe
    other = vm.connect()
    ret = add_fd(other, w, opaque='shared')
    assert vm.cmd_ok('query-fdsets') == [
        {'fds': [{'fd': ret['fd'], 'opaque': 'shared'}],
         'fdset-id': ret['fdset-id']}]


def test_remove_fd_one_and_all(vm, pipe):
    r, w = pipe
    a = add_fd(vm.qmp, w, **{'fdset-id': 3})
    b = add_fd(vm.qmp, w, **{'fdset-id': 3})
    os.close(w)
    assert vm.cmd_ok('remove-fd', {'fdset-id': 3, 'fd': a['fd']}) == {}
    assert vm.cmd_ok('query-fdsets') == [{'fds': [{'fd': b['fd']}],
                                          'fdset-id': 3}]
    assert still_open(r)
    assert vm.cmd_ok('remove-fd', {'fdset-id': 3}) == {}
    assert vm.cmd_ok('query-fdsets') == []
    assert wait_eof(r), 'removed fds were not closed'


def test_add_fd_errors(vm, pipe):
    r, w = pipe
    assert_error(vm.cmd('add-fd'), 'GenericError',
                 'No file descriptor supplied via SCM_RIGHTS')
    assert_error(vm.cmd('add-fd', {'fdset-id': -1}, fds=[w]), 'GenericError',
                 "Parameter 'fdset-id' expects a non-negative value")
    os.close(w)
    assert wait_eof(r), 'the rejected fd leaked in ternd'
    assert vm.cmd_ok('query-fdsets') == []


@pytest.mark.parametrize('args, desc', [
    ({'fdset-id': 7}, "File descriptor named 'fdset-id:7' not found"),
    ({'fdset-id': 0, 'fd': 99},
     "File descriptor named 'fdset-id:0, fd:99' not found"),
])
def test_remove_fd_errors(vm, pipe, args, desc):
    r, w = pipe
    add_fd(vm.qmp, w, **{'fdset-id': 0})
    assert_error(vm.cmd('remove-fd', args), 'GenericError', desc)


def test_fd_passing_over_tcp_is_refused(vm_factory):
    # Fds only travel over unix sockets: over tcp, nothing is supplied.
    port = free_tcp_port()
    vm = vm_factory(['-qmp', f'tcp:127.0.0.1:{port},server=on,wait=off'],
                    qmp=False)
    conn = vm.connect_tcp('127.0.0.1', port)
    assert_error(conn.cmd('getfd', fdname='x'), 'GenericError',
                 'No file descriptor supplied via SCM_RIGHTS')
