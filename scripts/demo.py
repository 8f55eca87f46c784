#!/usr/bin/env python3
"""The `make run` demo: start ternd, talk QMP to it, show the replies, quit.

Usage: demo.py BUILDDIR
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else 'build'
    ternd = os.path.join(build, 'system', 'ternd')
    with tempfile.TemporaryDirectory(prefix='tern-demo-') as tmp:
        sock_path = os.path.join(tmp, 'qmp.sock')
        argv = [ternd, '-name', 'demo', '-m', '128M', '-nodefaults',
                '-qmp', f'unix:{sock_path},server=on,wait=off']
        print('$ ' + ' '.join(argv))
        proc = subprocess.Popen(argv)
        try:
            return run_session(proc, sock_path)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


def run_session(proc, sock_path):
    deadline = time.monotonic() + 10
    while not os.path.exists(sock_path):
        if proc.poll() is not None or time.monotonic() > deadline:
            print('demo: ternd did not start', file=sys.stderr)
            return 1
        time.sleep(0.01)
    sock = socket.socket(socket.AF_UNIX)
    sock.settimeout(10)
    sock.connect(sock_path)
    reader = sock.makefile('rb')

    def recv():
        line = reader.readline()
        if not line:
            raise EOFError('ternd closed the connection')
        print('<- ' + line.decode().rstrip())
        return json.loads(line)

    def execute(cmd, **args):
        req = {'execute': cmd}
        if args:
            req['arguments'] = args
        text = json.dumps(req)
        print('-> ' + text)
        sock.sendall(text.encode() + b'\n')
        while True:
            msg = recv()
            if 'event' not in msg:
                return msg

    recv()
    for cmd, args in [('qmp_capabilities', {}), ('query-version', {}),
                      ('query-name', {}), ('query-status', {}),
                      ('stop', {}), ('query-status', {}), ('cont', {}),
                      ('human-monitor-command',
                       {'command-line': 'info status'})]:
        reply = execute(cmd, **args)
        if 'error' in reply:
            print('demo: command failed', file=sys.stderr)
            return 1
    execute('quit')
    status = proc.wait(timeout=10)
    print(f'ternd exited with status {status}')
    return status


if __name__ == '__main__':
    sys.exit(main())
