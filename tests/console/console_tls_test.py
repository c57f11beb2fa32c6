#!/usr/bin/env python3
"""The console beyond loopback: TLS or nothing. Against a real server:
a non-loopback --console_listen without TLS, without --console_hosts or
without --auth_config, TLS flags without a console listener and unreadable
certificate files all stop the server with an error naming the flag; with a
certificate made here by the openssl CLI (as tests/integration/tls_test.sh
does) the console listens on 127.0.0.1 with TLS forced by the flags and
answers over HTTPS with the gRPC roles (401, 403, 200), accepts the
--console_hosts name and refuses others, refuses plain HTTP and TLS 1.1,
and logs a console action with the browser's address; /metrics and the
probes stay plain HTTP on --metrics_listen.
Usage: console_tls_test.py BUILD_DIR SOURCE_DIR"""
import http.client
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from harness import HUAWEI, Server, check, failures, finish, free_port  # noqa: E402


def make_certs(d):
    """A test CA and a server certificate for console.test and 127.0.0.1."""
    def run(*args):
        r = subprocess.run(['openssl', *args], cwd=d, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f'openssl {args[0]}: {r.stderr}')
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem',
        '-days', '2', '-subj', '/CN=console-test-ca')
    run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr',
        '-subj', '/CN=console.test')
    with open(os.path.join(d, 'server.ext'), 'w') as f:
        f.write('subjectAltName=DNS:console.test,IP:127.0.0.1\n')
    run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key',
        '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext')
    return {k: os.path.join(d, v) for k, v in
            (('cert', 'server.pem'), ('key', 'server.key'), ('ca', 'ca.pem'))}


def refused(build, src, work, flags, want, auth=True):
    """The server given `flags` exits non-zero before serving, saying `want`."""
    args = [os.path.join(build, 'services/server/screening_server'),
            f'--listen=127.0.0.1:{free_port()}', f'--metrics_listen=127.0.0.1:{free_port()}',
            f'--db={os.path.join(work, "db-refused")}', f'--rules={os.path.join(src, "rules")}',
            f'--seeds={os.path.join(src, "seeds")}', '--seed_lists=', *flags]
    if auth:
        args.append(f'--auth_config={os.path.join(work, "auth.textproto")}')
    try:
        r = subprocess.run(args, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return check(False, f'{flags}: the server kept running')
    out = r.stdout + r.stderr
    check(r.returncode != 0 and want in out,
          f'{flags}: exit {r.returncode}, want a refusal saying "{want}": {out[-600:]}')


def plain_http_refused(port):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
    try:
        conn.request('GET', '/api/v1/whoami')
        r = conn.getresponse()
        return check(False, f'plain HTTP to the TLS port answered {r.status}')
    except (OSError, http.client.HTTPException):
        return True
    finally:
        conn.close()


def tls11_refused(port):
    # The client is willing (security level 0), so a refusal is the server's.
    r = subprocess.run(['openssl', 's_client', '-connect', f'127.0.0.1:{port}', '-tls1_1',
                        '-cipher', 'DEFAULT@SECLEVEL=0'],
                       input='', capture_output=True, text=True, timeout=30)
    check(r.returncode != 0 or 'Cipher is (NONE)' in r.stdout,
          f'TLS 1.1 handshake refused: exit {r.returncode} {r.stdout[-300:]} {r.stderr[-300:]}')
    r = subprocess.run(['openssl', 's_client', '-connect', f'127.0.0.1:{port}', '-tls1_2'],
                       input='', capture_output=True, text=True, timeout=30)
    check(r.returncode == 0 and 'TLSv1.2' in r.stdout,
          f'TLS 1.2 handshake accepted: {r.stdout[-300:]}')


def run(s, certs):
    # Roles as gRPC, over HTTPS.
    check(s.base.startswith('https://'), f'console base {s.base}')
    st, _ = s.call('GET', 'whoami', token='')
    check(st == 401, f'no token over TLS: {st}')
    st, _ = s.call('GET', 'whoami', token='wrong')
    check(st == 401, f'unknown token over TLS: {st}')
    st, _ = s.call('GET', 'decisions', who='client')
    check(st == 403, f'screening client over TLS: {st}')
    st, me = s.call('GET', 'whoami', who='auditor')
    check(st == 200 and me.get('roles') == ['ROLE_AUDITOR'], f'auditor whoami over TLS: {st} {me}')
    check('max-age' in (s.last_headers.get('Strict-Transport-Security') or ''),
          f'HSTS header: {dict(s.last_headers)}')
    st, ans = s.call('POST', 'screen', dict(HUAWEI, request_id='tls'), who='client')
    check(st == 403, f'client screens through the console: {st}')
    port = free_port()
    st, ans = s.call('POST', 'screen', dict(HUAWEI, request_id='tls'), source_port=port)
    check(st == 200 and ans.get('decision') == 'DECISION_LICENSE_REQUIRED', f'analyst screen: {st}')
    body = {'decision_id': ans.get('decision_id'), 'party_index': 0,
            'entity_id': 'EL:huawei-technologies', 'reason': 'TLS test'}
    st, _ = s.call('POST', 'dispositions', body, who='auditor')
    check(st == 403, f'auditor dismiss over TLS: {st}')
    st, _ = s.call('GET', 'admin-log', who='auditor')
    acts = _.get('actions', [])
    check(any(a['method'] == 'Screen' and a.get('peer') == f'console ipv4:127.0.0.1:{port}'
              for a in acts), f'console screening over TLS in the admin log: {acts[:3]}')
    # Host names: the configured one, not another.
    st, _ = s.call('GET', 'whoami', headers={'Host': f'console.test:{s.console_port}'})
    check(st == 200, f'--console_hosts name accepted: {st}')
    st, err = s.call('GET', 'whoami', headers={'Host': 'evil.example'})
    check(st == 403 and err.get('field') == 'Host', f'other Host refused: {st} {err}')
    # The pages over HTTPS.
    conn = http.client.HTTPSConnection('127.0.0.1', s.console_port, timeout=30, context=s.ssl)
    conn.request('GET', '/console/')
    r = conn.getresponse()
    check(r.status == 200 and b'analyst console' in r.read(), f'/console/ over TLS: {r.status}')
    conn.close()
    plain_http_refused(s.console_port)
    tls11_refused(s.console_port)
    # /metrics and the probes: plain HTTP on --metrics_listen as before; no
    # console there.
    conn = http.client.HTTPConnection('127.0.0.1', s.http_port, timeout=30)
    for path, want in (('/livez', 200), ('/metrics', 200), ('/api/v1/whoami', 404)):
        conn.request('GET', path)
        r = conn.getresponse()
        r.read()
        check(r.status == want, f'metrics listener {path}: {r.status}, want {want}')
    conn.close()


def main():
    build, src = sys.argv[1], sys.argv[2]
    if not shutil.which('openssl'):
        print('FAIL: the openssl command is missing (Debian package openssl)')
        sys.exit(1)
    work = tempfile.mkdtemp(prefix='es-console-tls-')
    try:
        certs = make_certs(work)
        certs['hosts'] = 'console.test'
        with open(os.path.join(work, 'auth.textproto'), 'w') as f:
            f.write('principals { name: "x" roles: ROLE_ANALYST token_sha256: "' + '0' * 64 + '" }\n')
        p = free_port()
        tls = [f'--console_tls_cert={certs["cert"]}', f'--console_tls_key={certs["key"]}']
        refused(build, src, work, [f'--console_listen=0.0.0.0:{p}'],
                'plain HTTP is allowed on loopback only')
        refused(build, src, work, [f'--console_listen=0.0.0.0:{p}', *tls], '--console_hosts')
        refused(build, src, work, [f'--console_listen=0.0.0.0:{p}', *tls,
                                   '--console_hosts=console.test'], '--auth_config', auth=False)
        refused(build, src, work, tls, 'need --console_listen')
        refused(build, src, work, [f'--console_listen=127.0.0.1:{p}',
                                   f'--console_tls_cert={certs["cert"]}',
                                   f'--console_tls_key={certs["ca"]}'],
                                   'are not a PEM certificate chain and its private key')
        refused(build, src, work, [f'--console_listen=127.0.0.1:{p}',
                                   f'--console_tls_cert={work}/missing.pem',
                                   f'--console_tls_key={certs["key"]}'], 'cannot read')
        s = Server(build, src, real_lists=False, console_tls=certs)
        try:
            run(s, certs)
        finally:
            if failures:
                print(s.tail())
            s.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    finish('console TLS')


if __name__ == '__main__':
    main()
