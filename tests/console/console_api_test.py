#!/usr/bin/env python3
"""The console's JSON API against a real server, tested like the gRPC API:
status codes (401 without or with an unknown token, 403 for a wrong role,
400 naming the field for bad input), separation of duties, every action in
the admin log, dismissed hits on the next screening, alert acknowledgement.
Usage: console_api_test.py BUILD_DIR SOURCE_DIR"""
import base64
import hashlib
import http.client
import re
import sys
import time
import urllib.parse

sys.path.insert(0, __import__('os').path.dirname(__file__))
from harness import HUAWEI, Server, check, failures, finish, free_port  # noqa: E402


def expect(resp, status, what, field=None):
    st, body = resp
    ok = st == status and (field is None or body.get('field') == field)
    check(ok, f'{what}: got {st} {body}, want {status}' + (f' field {field}' if field else ''))
    return body


def main():
    build, src = sys.argv[1], sys.argv[2]
    # --max_list_age: the maintenance loop raises a LIST_STALE alert to
    # acknowledge within seconds.
    s = Server(build, src, real_lists=False, extra_flags=['--max_list_age=2s'])
    try:
        run(s)
    finally:
        if failures:
            print(s.tail())
        s.stop()
    finish('console API')


def page_policy(s):
    """The pages' Content-Security-Policy: the page's one inline script is
    allowed by its SHA-256 and nothing else inline; other files get the
    base policy."""
    u = urllib.parse.urlsplit(s.base)
    for path, inline in (('/console/', True), ('/console/app.css', False), ('/console/js/app.js', False),
                         ('/console/js/nothing-here.js', False)):
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        conn.request('GET', path)
        r = conn.getresponse()
        body = r.read()
        policy = r.getheader('Content-Security-Policy') or ''
        conn.close()
        found = 'nothing-here' not in path
        check(r.status == (200 if found else 404) and "default-src 'self'" in policy and
              "frame-ancestors 'none'" in policy and policy.count('default-src') == 1,
              f'{path}: {r.status} policy {policy!r}')
        if not inline:
            check('script-src' not in policy, f'{path}: no script-src of its own: {policy!r}')
            continue
        scripts = re.findall(rb'<script>(.*?)</script>', body, re.S)
        check(len(scripts) == 1, f'{path}: one inline script, found {len(scripts)}')
        want = ["'sha256-" + base64.b64encode(hashlib.sha256(x).digest()).decode() + "'" for x in scripts]
        check(policy.endswith("; script-src 'self' " + ' '.join(want)),
              f'{path}: script-src names the inline script by digest: {policy!r}, want {want}')
        check("'unsafe-inline'" not in policy, f'{path}: no unsafe-inline')


def run(s):
    page_policy(s)
    # Authentication and the console's roles.
    expect(s.call('GET', 'decisions', token=''), 401, 'no token')
    expect(s.call('GET', 'whoami', token='wrong'), 401, 'unknown token')
    for path in ('whoami', 'decisions', 'versions', 'dispositions', 'alerts', 'admin-log'):
        expect(s.call('GET', path, who='client'), 403, f'screening client GET {path}')
    expect(s.call('POST', 'screen', HUAWEI, who='client'), 403, 'screening client screen')
    me = expect(s.call('GET', 'whoami', who='auditor'), 200, 'auditor whoami')
    check(me.get('roles') == ['ROLE_AUDITOR'], f'whoami roles {me}')

    # Screening (analyst) and reading (auditor).
    ans = expect(s.call('POST', 'screen', HUAWEI), 200, 'analyst screen')
    check(ans.get('decision') == 'DECISION_LICENSE_REQUIRED', f'decision {ans.get("decision")}')
    hit = [m for m in ans.get('party_matches', []) if m['entity_id'] == 'EL:huawei-technologies']
    check(hit and hit[0]['action'] == 'MATCH_ACTION_BLOCK', f'EL hit {ans.get("party_matches")}')
    did = ans['decision_id']
    bad = dict(HUAWEI, destination_country='XX')
    expect(s.call('POST', 'screen', bad), 400, 'bad destination', field='destination_country')
    expect(s.call('POST', 'screen', raw=b'{"parties": 7}',
                  headers={'Content-Type': 'application/json'}), 400, 'bad JSON', field='parties')
    expect(s.call('POST', 'screen', raw=b'{}', headers={'Content-Type': 'text/plain'}),
           415, 'not JSON')

    rec = expect(s.call('GET', f'decisions/{did}', who='auditor'), 200, 'auditor get decision')
    check(rec.get('decision_id') == did and rec['response']['party_matches'][0].get('alignment'),
          'decision record with alignment')
    expect(s.call('GET', 'decisions/D00000000000000ff', who='auditor'), 404, 'unknown decision')
    rp = expect(s.call('GET', f'decisions/{did}/replay', who='auditor'), 200, 'replay')
    check(rp.get('identical') is True, f'replay identical {rp}')
    page = expect(s.call('GET', 'decisions?decision=LICENSE_REQUIRED&list=EL&destination=cn&view=summary',
                         who='auditor'), 200, 'filtered queue')
    check([r['decision_id'] for r in page.get('records', [])] == [did], f'filtered queue {page}')
    check('alignment' not in page['records'][0]['response']['party_matches'][0], 'summary view')
    page = expect(s.call('GET', 'decisions?destination=DE', who='auditor'), 200, 'queue DE')
    check(not page.get('records'), 'destination filter excludes CN')
    page = expect(s.call('GET', 'decisions?party=HUAWEI&rule=pl.el.all_items', who='auditor'),
                  200, 'party+rule')
    check(len(page.get('records', [])) == 1, f'party+rule filter {page}')
    counts = expect(s.call('GET', 'decisions/counts', who='auditor'), 200, 'counts')
    check(counts['counts'].get('DECISION_LICENSE_REQUIRED') == 1 and counts['complete'], f'counts {counts}')
    for q, field in (('decision=FOO', 'decision'), ('limit=0', 'limit'), ('limit=x', 'limit'),
                     ('from=yesterday', 'from'), ('from=2026-12-02&until=2026-12-01', 'until'),
                     ('destination=XYZ', 'destination'), ('page_token=abc', 'page_token'),
                     ('view=all', 'view')):
        expect(s.call('GET', f'decisions?{q}', who='auditor'), 400, f'queue {q}', field=field)
    ent = expect(s.call('GET', 'entities/EL:huawei-technologies', who='auditor'), 200, 'listed record')
    check(ent.get('list') == 'EL' and ent.get('license_policy'), f'entity {ent}')

    # Dispositions: analysts only (operators load lists and never clear hits).
    body = {'decision_id': did, 'party_index': 0, 'entity_id': 'EL:huawei-technologies',
            'reason': 'console API test: a different Huawei'}
    expect(s.call('POST', 'dispositions', body, who='auditor'), 403, 'auditor dismiss')
    expect(s.call('POST', 'dispositions', body, who='operator'), 403, 'operator dismiss')
    expect(s.call('POST', 'dispositions', body, who='client'), 403, 'client dismiss')
    expect(s.call('POST', 'dispositions', body, token=''), 401, 'anonymous dismiss')
    expect(s.call('POST', 'dispositions', dict(body, reason=' ')), 400, 'no reason', field='reason')
    expect(s.call('POST', 'dispositions', dict(body, party_index=5)), 400, 'party index',
           field='party_index')
    expect(s.call('POST', 'dispositions', dict(body, reasn='x')), 400, 'unknown field', field='reasn')
    expect(s.call('POST', 'dispositions', dict(body, entity_id='EL:nobody')), 409, 'no such hit')
    d = expect(s.call('POST', 'dispositions', body), 200, 'analyst dismiss')
    again = expect(s.call('POST', 'screen', dict(HUAWEI, request_id='again')), 200, 'screen again')
    m = [x for x in again.get('party_matches', []) if x['entity_id'] == 'EL:huawei-technologies']
    check(m and m[0]['action'] == 'MATCH_ACTION_DISMISSED' and m[0].get('disposition_id') == d.get('id'),
          f'next screening shows the hit dismissed: {m}')
    expect(s.call('POST', f'dispositions/{d["id"]}/revoke', {'reason': ''}), 400, 'revoke reason',
           field='reason')
    expect(s.call('POST', f'dispositions/{d["id"]}/revoke', {'reason': 'x'}, who='auditor'), 403,
           'auditor revoke')
    expect(s.call('POST', 'dispositions/DP00000000000000ff/revoke', {'reason': 'x'}), 404,
           'revoke unknown')
    expect(s.call('POST', f'dispositions/{d["id"]}/revoke', {'reason': 'test over'}), 200, 'revoke')
    third = expect(s.call('POST', 'screen', dict(HUAWEI, request_id='third')), 200, 'screen third')
    check(third['party_matches'][0]['action'] == 'MATCH_ACTION_BLOCK', 'revoked: blocks again')
    log = expect(s.call('GET', 'dispositions', who='auditor'), 200, 'disposition log')
    check(len(log.get('dispositions', [])) == 2, f'log {log}')

    # Alerts: a stale list raises one; analysts and operators acknowledge.
    alerts = []
    for _ in range(100):
        alerts = expect(s.call('GET', 'alerts', who='auditor'), 200, 'alerts').get('alerts', [])
        if alerts:
            break
        time.sleep(0.1)
    check(alerts and alerts[0]['kind'] == 'ALERT_KIND_LIST_STALE', f'stale-list alert {alerts}')
    if alerts:
        aid = alerts[0]['alert_id']
        expect(s.call('POST', f'alerts/{aid}/acknowledge', {}, who='auditor'), 403, 'auditor ack')
        a = expect(s.call('POST', f'alerts/{aid}/acknowledge', {}), 200, 'analyst ack')
        check(a.get('acknowledged') and a.get('acknowledged_by') == 'analyst', f'ack {a}')
        un = expect(s.call('GET', 'alerts?unacknowledged_only=true', who='auditor'), 200, 'unacked')
        check(aid not in [x['alert_id'] for x in un.get('alerts', [])], 'acknowledged filtered')
    expect(s.call('POST', 'alerts/nonsense/acknowledge', {}), 400, 'bad alert id', field='alert_id')
    expect(s.call('POST', 'alerts/A00000000000000ff/acknowledge', {}), 404, 'unknown alert')
    expect(s.call('GET', 'alerts?unacknowledged_only=maybe', who='auditor'), 400, 'bool param',
           field='unacknowledged_only')

    # Versions (operators, analysts, auditors) and diffs.
    v = expect(s.call('GET', 'versions', who='operator'), 200, 'versions')
    check(v.get('active', {}).get('list_version'), f'active versions {v.get("active")}')
    expect(s.call('GET', 'versions/diff?kind=x&to=y', who='operator'), 400, 'diff kind', field='kind')
    expect(s.call('GET', 'versions/diff?kind=lists', who='operator'), 400, 'diff to', field='to')
    expect(s.call('GET', 'audit/verify', who='auditor'), 200, 'verify')

    # Every action in the admin log, refusals included.
    acts = expect(s.call('GET', 'admin-log?limit=200', who='auditor'), 200, 'admin log')['actions']
    seen = {(a['method'], a['actor'], a.get('status_code', 0)) for a in acts}
    for want in (('RecordDisposition', 'analyst', 0), ('RevokeDisposition', 'analyst', 0),
                 ('AcknowledgeAlert', 'analyst', 0)):
        check(want in seen, f'admin log has {want}')
    check(any(a['method'] == 'RecordDisposition' and a.get('status_code') == 7 for a in acts),
          'refused dismissal (PERMISSION_DENIED) in the admin log')
    check(any(a['method'] == 'AcknowledgeAlert' and a.get('status_code') == 7 for a in acts),
          'refused acknowledgement in the admin log')

    admin_log_peers(s, body)

    # Only loopback Host names (DNS rebinding); unknown paths are JSON 404s.
    expect(s.call('GET', 'whoami', headers={'Host': 'evil.example:80'}), 403, 'Host check',
           field='Host')
    expect(s.call('GET', 'no-such-thing'), 404, 'unknown API path')


def admin_log_peers(s, body):
    """Every console action is in the admin log with the browser's address
    (sent from a known port here) and that it came through the console; a
    gRPC call with its own peer."""
    ports = {m: free_port() for m in ('RecordDisposition', 'RevokeDisposition', 'VerifyAuditChain',
                                      'Screen', 'refused')}
    d = expect(s.call('POST', 'dispositions', body, source_port=ports['RecordDisposition']), 200,
               'dismiss from a known port')
    expect(s.call('POST', f'dispositions/{d.get("id")}/revoke', {'reason': 'peer test'},
                  source_port=ports['RevokeDisposition']), 200, 'revoke from a known port')
    expect(s.call('GET', 'audit/verify', who='auditor', source_port=ports['VerifyAuditChain']), 200,
           'verify from a known port')
    ans = expect(s.call('POST', 'screen', dict(HUAWEI, request_id='peer-test'),
                        source_port=ports['Screen']), 200, 'screen from a known port')
    expect(s.call('POST', 'dispositions', body, who='auditor', source_port=ports['refused']), 403,
           'refused dismissal from a known port')
    d2 = expect(s.call('POST', 'dispositions', body), 200, 'dismiss for the gRPC revoke')
    r = s.screenctl('dispositions', 'revoke', d2.get('id', ''), '--reason=revoked over gRPC',
                    who='analyst')
    check(r.returncode == 0, f'screenctl revoke: {r.returncode} {r.stderr[-400:]}')
    acts = expect(s.call('GET', 'admin-log?limit=500', who='auditor'), 200, 'admin log')['actions']

    def entry(method, peer):
        return [a for a in acts if a['method'] == method and a.get('peer') == peer]
    for method, port in ports.items():
        want = f'console ipv4:127.0.0.1:{port}'
        got = entry('RecordDisposition' if method == 'refused' else method, want)
        check(len(got) == 1, f'admin log: {method} from the console with peer "{want}": '
              f'{[(a["method"], a.get("peer")) for a in acts][:12]}')
        if got and method == 'Screen':
            check(ans.get('decision_id', '?') in got[0].get('request_summary', '') and
                  got[0].get('actor') == 'analyst', f'console screening logged: {got[0]}')
        if got and method == 'refused':
            check(got[0].get('status_code') == 7 and got[0].get('actor', '').startswith('(un'),
                  f'refused console dismissal logged: {got[0]}')
    ack = [a for a in acts if a['method'] == 'AcknowledgeAlert' and a.get('status_code', 0) == 0]
    check(ack and ack[0].get('peer', '').startswith('console ipv4:127.0.0.1:'),
          f'acknowledgement names the console and the browser: {ack[:1]}')
    grpc_revoke = [a for a in acts if a['method'] == 'RevokeDisposition' and
                   d2.get('id', '?') in a.get('request_summary', '')]
    check(grpc_revoke and grpc_revoke[0].get('peer', '').startswith('ipv4:127.0.0.1:'),
          f'a gRPC call is logged with its own peer, not as the console: {grpc_revoke[:1]}')


if __name__ == '__main__':
    main()
