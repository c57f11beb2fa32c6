"""Starts a real screening_server on loopback for the console tests.

Explicit free ports, an auth config with one principal per role, a fresh
store in a temporary directory. Used by console_api_test.py and
console_browser_test.py.
"""
import hashlib
import http.client
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tools'))
import free_ports  # noqa: E402  (tools/free_ports.py)

TOKENS = {
    'analyst': 'analyst-token-1',
    'auditor': 'auditor-token-1',
    'operator': 'operator-token-1',
    'client': 'erp-token-1',
}
ROLES = {
    'analyst': 'ROLE_ANALYST',
    'auditor': 'ROLE_AUDITOR',
    'operator': 'ROLE_OPERATOR',
    'client': 'ROLE_SCREENING_CLIENT',
}


failures = []  # what a test found wrong, in order


def check(cond, what):
    """Records a failure (and prints it) unless cond; returns cond."""
    if not cond:
        failures.append(what)
        print('FAIL:', what, flush=True)
    return cond


def finish(name):
    """Exits 1 if any check failed, else says all passed."""
    if failures:
        print(f'{len(failures)} failure(s)')
        sys.exit(1)
    print(f'{name}: all checks passed')


def free_port():
    return free_ports.free_port()


class Server:
    """console_tls: {'cert', 'key', 'ca', 'hosts'} serves the console on
    its own HTTPS listener (--console_listen on loopback, TLS forced by the
    certificate flags); call() then goes there, verifying with 'ca'."""

    def __init__(self, build, src, real_lists=True, extra_flags=(), console_tls=None):
        self.build, self.src = build, src
        self.dir = tempfile.mkdtemp(prefix='es-console-')
        self.grpc_port, self.http_port = free_port(), free_port()
        self.console_port = free_port() if console_tls else self.http_port
        self.ssl = None
        tls_flags = []
        if console_tls:
            self.ssl = ssl.create_default_context(cafile=console_tls['ca'])
            tls_flags = [f'--console_listen=127.0.0.1:{self.console_port}',
                         f'--console_tls_cert={console_tls["cert"]}',
                         f'--console_tls_key={console_tls["key"]}',
                         f'--console_hosts={console_tls["hosts"]}']
        auth = os.path.join(self.dir, 'auth.textproto')
        with open(auth, 'w') as f:
            for who, tok in TOKENS.items():
                h = hashlib.sha256(tok.encode()).hexdigest()
                f.write(f'principals {{ name: "{who}" roles: {ROLES[who]} token_sha256: "{h}" }}\n')
        args = [os.path.join(build, 'services/server/screening_server'),
                f'--listen=127.0.0.1:{self.grpc_port}',
                f'--metrics_listen=127.0.0.1:{self.http_port}',
                f'--db={os.path.join(self.dir, "db")}',
                f'--rules={os.path.join(src, "rules")}',
                f'--seeds={os.path.join(src, "seeds")}',
                f'--seed_lists={os.path.join(src, "seeds/lists") if real_lists else ""}',
                f'--console_dir={os.path.join(src, "services/console/web")}',
                f'--auth_config={auth}', *tls_flags, *extra_flags]
        self.log_path = os.path.join(self.dir, 'server.log')
        self.log = open(self.log_path, 'w')
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        self.base = (f'https://127.0.0.1:{self.console_port}' if console_tls
                     else f'http://127.0.0.1:{self.http_port}')
        deadline = time.time() + 180
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f'server exited {self.proc.returncode}: {self.tail()}')
            try:
                st, body = self.call('GET', 'status', who='operator')
                if st == 200 and body.get('serving'):
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f'server not serving after 180 s: {self.tail()}')

    def tail(self):
        self.log.flush()
        with open(self.log_path) as f:
            return ''.join(f.readlines()[-20:])

    def call(self, method, path, body=None, who='analyst', token=None, headers=None,
             raw=None, source_port=None):
        """Returns (HTTP status, parsed JSON body); the response headers in
        self.last_headers. source_port: send from 127.0.0.1:source_port."""
        h = dict(headers or {})
        tok = token if token is not None else TOKENS.get(who, '')
        if tok:
            h['Authorization'] = f'Bearer {tok}'
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h.setdefault('Content-Type', 'application/json')
        u = urllib.parse.urlsplit(self.base)
        src = ('127.0.0.1', source_port) if source_port else None
        if u.scheme == 'https':
            conn = http.client.HTTPSConnection(u.hostname, u.port, timeout=120,
                                               context=self.ssl, source_address=src)
        else:
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120, source_address=src)
        try:
            conn.request(method, f'/api/v1/{path}', body=data, headers=h)
            r = conn.getresponse()
            text = r.read()
            self.last_headers = r.headers
        finally:
            conn.close()
        try:
            return r.status, json.loads(text or b'{}')
        except ValueError:
            return r.status, {'raw': text.decode(errors='replace')}

    def screenctl(self, *args, who='operator'):
        return subprocess.run(
            [os.path.join(self.build, 'services/cli/screenctl'),
             f'--server=127.0.0.1:{self.grpc_port}', f'--token={TOKENS[who]}',
             '--timeout=600s', *args],
            capture_output=True, text=True)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


HUAWEI = {
    'request_id': 'console-huawei', 'exporter': 'Example Exports Inc.',
    'destination_country': 'CN',
    'parties': [{'role': 'PARTY_ROLE_END_USER', 'name': 'Huawei Technologies Co Ltd',
                 'address': {'city': 'Shenzhen', 'country': 'CN'}, 'country': 'CN'}],
    'items': [{'description': 'Ethernet cable assembly', 'kind': 'ITEM_KIND_OTHER',
               'quantity': 100}],
}
