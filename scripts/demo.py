#!/usr/bin/env python3
"""The `make run` demo: save a running guest to a file and restore it.

Starts a ternd guest, lets it write RAM (x-guest-workload: a fill, then a
dirty rate), saves it while it runs with `migrate file:...`, restores the
file in a second ternd (`-incoming file:... -S`), and prints both RAM
digests.  Exits 0 only if they match and every page is consistent.

Usage: demo.py BUILDDIR
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

TIMEOUT = 60
MiB = 1 << 20


class Daemon:
    """One ternd with a QMP connection; prints what goes over it."""

    def __init__(self, ternd, tmp, name, args):
        self.name = name
        self.sock_path = os.path.join(tmp, name + '.sock')
        argv = [ternd, '-name', name, '-m', '128M', '-nodefaults',
                '-qmp', f'unix:{self.sock_path},server=on,wait=off'] + args
        print(f'[{name}] $ ' + ' '.join(argv))
        self.proc = subprocess.Popen(argv)
        self.sock = None
        self.reader = None

    def connect(self):
        deadline = time.monotonic() + TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f'{self.name}: ternd exited with '
                                   f'{self.proc.returncode}')
            try:
                sock = socket.socket(socket.AF_UNIX)
                sock.settimeout(TIMEOUT)
                sock.connect(self.sock_path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                sock.close()
                if time.monotonic() > deadline:
                    raise RuntimeError(f'{self.name}: no QMP socket')
                time.sleep(0.01)
        self.sock = sock
        self.reader = sock.makefile('rb')
        self.recv()
        self.execute('qmp_capabilities')

    def recv(self):
        line = self.reader.readline()
        if not line:
            raise EOFError(f'{self.name}: ternd closed the connection')
        msg = json.loads(line)
        if 'event' in msg:
            print(f'[{self.name}] <- event {msg["event"]} '
                  + json.dumps(msg.get('data', {})))
        return msg

    def execute(self, cmd, quiet=False, **args):
        req = {'execute': cmd}
        if args:
            req['arguments'] = args
        if not quiet:
            print(f'[{self.name}] -> ' + json.dumps(req))
        self.sock.sendall(json.dumps(req).encode() + b'\n')
        while True:
            msg = self.recv()
            if 'event' in msg:
                continue
            if 'error' in msg:
                raise RuntimeError(f'{self.name}: {cmd}: '
                                   + json.dumps(msg['error']))
            return msg['return']

    def wait_migration(self, want):
        """Poll query-migrate until the status is want (or failed)."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            info = self.execute('query-migrate', quiet=True)
            status = info.get('status')
            if status == want:
                return info
            if status == 'failed' or time.monotonic() > deadline:
                raise RuntimeError(f'{self.name}: migration {status}: '
                                   + json.dumps(info))
            time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.execute('quit')
            except (OSError, EOFError, RuntimeError):
                self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def save(src, path):
    src.connect()
    src.execute('x-guest-workload', fill=True, seed=2024)
    src.execute('x-guest-workload', **{'ram-dirty-rate': 16 * MiB})
    first = src.execute('x-query-guest-digest')['pages-written']
    deadline = time.monotonic() + TIMEOUT
    while src.execute('x-query-guest-digest',
                      quiet=True)['pages-written'] <= first:
        if time.monotonic() > deadline:
            raise RuntimeError('the guest does not write')
        time.sleep(0.05)
    print('the guest is writing 16 MiB/s; saving it while it runs')
    src.execute('migrate-set-capabilities', capabilities=[
        {'capability': 'events', 'state': True}])
    src.execute('migrate-set-parameters', **{'max-bandwidth': 0})
    src.execute('migrate', uri=f'file:{path}')
    info = src.wait_migration('completed')
    ram = info.get('ram', {})
    print(f'saved {ram.get("transferred", 0) / MiB:.1f} MiB in '
          f'{info.get("total-time")} ms (downtime {info.get("downtime")} '
          f'ms); file is {os.path.getsize(path) / MiB:.1f} MiB')
    status = src.execute('query-status')['status']
    print(f'source run state: {status}')
    return src.execute('x-query-guest-digest')


def restore(dst):
    dst.connect()
    dst.wait_migration('completed')
    print('destination run state: '
          + dst.execute('query-status')['status'])
    return dst.execute('x-query-guest-digest')


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else 'build'
    ternd = os.path.join(build, 'system', 'ternd')
    with tempfile.TemporaryDirectory(prefix='tern-demo-') as tmp:
        path = os.path.join(tmp, 'guest.state')
        daemons = []
        try:
            src = Daemon(ternd, tmp, 'source', [])
            daemons.append(src)
            want = save(src, path)
            dst = Daemon(ternd, tmp, 'restored',
                         ['-S', '-incoming', f'file:{path}'])
            daemons.append(dst)
            got = restore(dst)
        except (OSError, EOFError, RuntimeError) as e:
            print(f'demo: {e}', file=sys.stderr)
            return 1
        finally:
            for d in daemons:
                d.stop()
    print(f'source   RAM digest {want["ram"]} consistent '
          f'{want["ram-consistent"]}')
    print(f'restored RAM digest {got["ram"]} consistent '
          f'{got["ram-consistent"]}')
    if got == want and got['ram-consistent']:
        print('the restored guest is the saved one')
        return 0
    print('demo: the digests differ', file=sys.stderr)
    return 1


if __name__ == '__main__':
    sys.exit(main())
