#!/usr/bin/env python3
"""The analyst console in headless Chromium (Debian's chromium and
chromium-driver, driven by python3-selenium) against a real server on
loopback with the real lists: store many decisions, open the queue, filter,
open a decision with a real Entity List hit, replay it, dismiss the hit with
a reason, screen the request again and see the hit dismissed, revoke,
acknowledge an alert, screen from the form, role refusals, keyboard use and
a narrow window. Measures the queue's first page and the decision page
(server + browser) and saves screenshots. Anything missing is a FAILURE.
Usage: console_browser_test.py BUILD SRC [--decisions=N] [--out=DIR] [--docs=DIR]"""
import argparse
import csv
import io
import json
import os
import shutil
import statistics
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import HUAWEI, TOKENS, Server, check, failures, finish  # noqa: E402

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError as e:
    # Debian's python3-selenium is for Debian's python3; another python3
    # first on PATH (pyenv, a venv) does not see it.
    if os.path.realpath(sys.executable) != os.path.realpath('/usr/bin/python3') and \
            os.path.exists('/usr/bin/python3'):
        os.execv('/usr/bin/python3', ['/usr/bin/python3', *sys.argv])
    print(f'FAIL: python3-selenium is not installed ({e}); run tools/install-deps.sh')
    sys.exit(1)

QUEUE_BAR_MS, DECISION_BAR_MS = 300, 200
# Cumulative Layout Shift of a fresh load: Google's "good" is < 0.1.
CLS_BAR = 0.1
# The medians held to the bars: in-app navigation and fresh load, per page.
TIMED = ('queue_route_ms', 'decision_route_ms', 'queue_full_load_ms', 'decision_full_load_ms')
ENFORCE_TIMING = [True]  # --timing_bars


def timing_bars_met(f):
    return (f['queue_route_ms'] < QUEUE_BAR_MS and f['queue_full_load_ms'] < QUEUE_BAR_MS and
            f['decision_route_ms'] < DECISION_BAR_MS and f['decision_full_load_ms'] < DECISION_BAR_MS)


def populate(s, n, work):
    """Stores about n decisions: the sample order file's 21 shipments
    (CLEAR, REVIEW, LICENSE_REQUIRED, PROHIBITED) repeated, via screenctl
    batch (ScreenStream)."""
    src = os.path.join(s.src, 'seeds/shipments/sample-orders.csv')
    with open(src, newline='') as f:
        rows = list(csv.reader(f))
    header = rows[0]
    sid = header.index('shipment_id')
    tpp = header.index('item_tpp')

    def good(r):  # the file also holds malformed lines on purpose
        if len(r) != len(header) or any('\n' in c for c in r):
            return False
        try:
            float(r[tpp] or 0)
        except ValueError:
            return False
        return True
    bad = {r[sid] for r in rows[1:] if r and not good(r)}
    body = [r for r in rows[1:] if r and r[sid] not in bad]
    per_copy = len({r[sid] for r in body})
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(header)
    for k in range((n + per_copy - 1) // per_copy):
        for r in body:
            r = list(r)
            r[sid] = f'{r[sid]}-{k}'
            w.writerow(r)
    path = os.path.join(work, 'orders.csv')
    with open(path, 'w', newline='') as f:
        f.write(out.getvalue())
    t = time.time()
    r = s.screenctl('batch', path, f'--out={os.path.join(work, "orders.jsonl")}',
                    '--progress=never', '--window=2048')
    # Exit 2: screened, some need a human (expected).
    if not check(r.returncode in (0, 2), f'batch exit {r.returncode}: {r.stderr[-800:]}'):
        return 0
    st, status = s.call('GET', 'status', who='operator')
    print(f'stored decisions: {status.get("decision_count")} '
          f'(batch of {n} in {time.time() - t:.1f} s)', flush=True)
    return int(status.get('decision_count', 0))


class Browser:
    def __init__(self, base, out):
        opts = webdriver.ChromeOptions()
        opts.binary_location = shutil.which('chromium') or '/usr/bin/chromium'
        for a in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
                  '--window-size=1280,800', '--force-device-scale-factor=1',
                  '--no-first-run', '--disable-extensions'):
            opts.add_argument(a)
        driver = shutil.which('chromedriver') or '/usr/bin/chromedriver'
        self.d = webdriver.Chrome(service=Service(driver), options=opts)
        self.d.set_window_size(1280, 800)
        self.base, self.out = base, out
        self.loads = 0
        self.shots = []

    def go(self, hash_, ready, full=False, timeout=30):
        if full:  # a new document (a hash change alone would not load one)
            self.loads += 1
            self.d.get(f'{self.base}/console/?load={self.loads}{hash_}')
        else:
            self.d.execute_script("document.getElementById('main').removeAttribute('data-ready');"
                                  'location.hash = arguments[0]', hash_)
        return self.wait_ready(ready, timeout)

    def wait_ready(self, ready, timeout=30):
        WebDriverWait(self.d, timeout).until(
            lambda d: d.find_element(By.ID, 'main').get_attribute('data-ready') == ready)

    def wait(self, fn, timeout=30, what=''):
        try:
            return WebDriverWait(self.d, timeout).until(lambda d: fn())
        except Exception:
            check(False, f'timed out waiting for {what}')
            return None

    def shot(self, name):
        path = os.path.join(self.out, f'{name}.png')
        self.d.save_screenshot(path)
        self.shots.append(path)

    def message(self):
        el = self.d.find_element(By.ID, 'message')
        return '' if el.get_attribute('hidden') is not None else el.text

    def sign_in(self, token):
        self.d.get(f'{self.base}/console/#/queue')
        self.d.execute_script('sessionStorage.clear()')
        self.d.find_element(By.ID, 'signout').click()
        box = self.d.find_element(By.ID, 'token')
        box.send_keys(token)
        box.send_keys(Keys.ENTER)

    def timing(self, page):
        return self.d.execute_script(f'return window.esTiming.{page}')

    def layout_shift(self):
        """The layout shifts of this document so far (the buffered
        'layout-shift' entries, user-input ones left out): their sum and
        what moved."""
        return self.d.execute_async_script("""
          const done = arguments[arguments.length - 1];
          const seen = [];
          const po = new PerformanceObserver((l) => seen.push(...l.getEntries()));
          po.observe({ type: 'layout-shift', buffered: true });
          setTimeout(() => {
            seen.push(...po.takeRecords());
            po.disconnect();
            const shifts = seen.filter((e) => !e.hadRecentInput);
            const name = (n) => !n ? '?' : n.id ? `#${n.id}` : `${n.nodeName}.${n.className || ''}`;
            done({ cls: shifts.reduce((a, e) => a + e.value, 0),
                   shifts: shifts.slice(0, 8).map((e) => `${e.value.toFixed(4)}: ` + e.sources.map(
                     (x) => `${name(x.node)} ${x.previousRect.y}->${x.currentRect.y}`).join(', ')) });
          }, 100);""")


def wait_server_quiet(pid, limit_s=60):
    """Waits until the server process uses under 2 % of a core over 0.5 s
    (twice in a row): the batch of 100,000 decisions leaves RocksDB flushes
    and compactions behind, and the bars measure the console, not that
    backlog. Returns the seconds waited."""
    tick = os.sysconf('SC_CLK_TCK')

    def cpu():
        with open(f'/proc/{pid}/stat') as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick

    t0 = time.monotonic()
    quiet = 0
    last = cpu()
    while quiet < 2 and time.monotonic() - t0 < limit_s:
        time.sleep(0.5)
        now = cpu()
        quiet = quiet + 1 if now - last < 0.01 else 0
        last = now
    return time.monotonic() - t0


# Where a fresh load's time goes: the document, each script and API call
# (start -> end, ms since navigation start).
PHASES_JS = """
  const nav = performance.getEntriesByType('navigation')[0];
  const out = { html: [Math.round(nav.requestStart), Math.round(nav.responseEnd)],
                dom_interactive: Math.round(nav.domInteractive) };
  for (const e of performance.getEntriesByType('resource'))
    out[e.name.replace(/^.*\\/(console|api\\/v1)\\//, '')] = [Math.round(e.startTime), Math.round(e.responseEnd)];
  for (const m of performance.getEntriesByType('mark')) out[m.name] = Math.round(m.startTime);
  out.ready = Math.round(window.esTiming.decision ? window.esTiming.decision.ready_at : -1);
  return out;"""


def measure(b, s, did, runs):
    """Median over `runs` of: the queue's first page and the decision page,
    from the route change to the painted page (API call = server time plus
    transfer, then render and paint), and the full page load (HTML, modules,
    sign-in check, API, render) from navigation start."""
    figures = {}
    q = []
    full = []
    for i in range(runs):
        b.go('#/queue', 'queue', full=True, timeout=60)
        full.append(b.timing('queue')['ready_at'])
        if i == 0:  # the counts come after the page: wait for them too
            wait_counts(b)
            figures['queue_cls'] = b.layout_shift()
        b.go('#/alerts', 'alerts')
        b.go('#/queue', 'queue', timeout=60)
        q.append(b.timing('queue'))
    figures['queue_route_ms'] = statistics.median(x['total_ms'] for x in q)
    figures['queue_fetch_ms'] = statistics.median(x['fetch_ms'] for x in q)
    figures['queue_render_ms'] = statistics.median(x['render_ms'] for x in q)
    figures['queue_full_load_ms'] = statistics.median(full)
    figures['queue_full_load_runs_ms'] = [round(x, 1) for x in full]
    figures['queue_rows'] = q[-1]['rows']
    d = []
    full = []
    phases = []
    for i in range(runs):
        b.go(f'#/decision/{did}', 'decision', full=True)
        full.append(b.timing('decision')['ready_at'])
        phases.append(b.d.execute_script(PHASES_JS))
        if i == 0:
            figures['decision_cls'] = b.layout_shift()
        b.go('#/alerts', 'alerts')
        b.go(f'#/decision/{did}', 'decision')
        d.append(b.timing('decision'))
    figures['decision_route_ms'] = statistics.median(x['total_ms'] for x in d)
    figures['decision_fetch_ms'] = statistics.median(x['fetch_ms'] for x in d)
    figures['decision_full_load_ms'] = statistics.median(full)
    figures['decision_full_load_runs_ms'] = [round(x, 1) for x in full]
    figures['decision_full_load_phases'] = phases
    # Server time alone (loopback HTTP from this process).
    server = []
    for _ in range(runs):
        t = time.perf_counter()
        st, _ = s.call('GET', 'decisions?decision=REVIEW,LICENSE_REQUIRED,PROHIBITED&view=summary&limit=50')
        server.append((time.perf_counter() - t) * 1000)
    figures['queue_api_ms'] = statistics.median(server)
    t = time.perf_counter()
    st, counts = s.call('GET', 'decisions/counts')
    figures['counts_ms'] = (time.perf_counter() - t) * 1000
    figures['counts'] = counts
    return figures


def wait_counts(b):
    b.wait(lambda: any(w in b.d.find_element(By.CSS_SELECTOR, '.counts').text
                       for w in ('exact counts', 'scanned')), 60, 'counts')


def other_pages_cls(b, figures):
    """Fresh loads of the other pages: their layout shift."""
    for page in ('dispositions', 'alerts', 'versions', 'log', 'screen'):
        b.go(f'#/{page}', page, full=True)
        figures[f'{page}_cls'] = b.layout_shift()


def run(b, s, n_decisions):
    # 1. A real Entity List hit, newest in the store.
    st, ans = s.call('POST', 'screen', dict(HUAWEI, request_id='browser-huawei'))
    check(st == 200 and ans.get('decision') == 'DECISION_LICENSE_REQUIRED', f'screen: {st} {ans}')
    did = ans['decision_id']
    hit = [m for m in ans.get('party_matches', [])
           if m.get('list') == 'EL' and m.get('action') == 'MATCH_ACTION_BLOCK']
    check(hit and hit[0]['listed_name'].startswith('Huawei Technologies'), f'real EL hit {hit}')
    eid = hit[0]['entity_id']  # the real Entity List entry's id
    print(f'decision {did}: {eid} {hit[0]["listed_name"]}', flush=True)

    # 2. Sign in (analyst), the queue, timings.
    b.sign_in(TOKENS['analyst'])
    b.wait_ready('queue', 60)
    check('analyst' in b.d.find_element(By.ID, 'who').text, 'signed in as analyst')
    print(f'server quiet after {wait_server_quiet(s.proc.pid):.1f} s', flush=True)
    figures = measure(b, s, did, runs=9)
    if ENFORCE_TIMING[0] and not timing_bars_met(figures):
        # One re-measurement when a median misses a bar (this shared VM's
        # speed varies by 2x between days): the second round is judged, and
        # the first is reported beside it.
        first = {k: round(figures[k], 1) for k in TIMED}
        print(f'timing: round 1 missed a bar {first}; measuring a second round', flush=True)
        figures = measure(b, s, did, runs=9)
        figures['round1'] = first
    other_pages_cls(b, figures)
    b.go('#/queue', 'queue')
    wait_counts(b)
    b.shot('01-queue')

    # 3. Filter with the keyboard: "/" focuses the party filter.
    body = b.d.find_element(By.TAG_NAME, 'body')
    body.send_keys('/')
    active = b.d.switch_to.active_element
    check(active.get_attribute('name') == 'party', 'slash focuses the party filter')
    active.send_keys('huawei')
    b.d.find_element(By.NAME, 'destination').send_keys('CN')
    b.d.find_element(By.NAME, 'list').send_keys('EL')
    active.send_keys(Keys.ENTER)
    b.wait(lambda: 'party=huawei' in b.d.current_url and
           b.d.find_element(By.ID, 'main').get_attribute('data-ready') == 'queue', 30, 'filtered queue')
    rows = b.d.find_elements(By.CSS_SELECTOR, 'table.queue tbody tr')
    check(rows and did in rows[0].text, f'filtered queue starts with {did}')
    check(all('Huawei' in r.text for r in rows), 'every filtered row is a Huawei decision')
    b.shot('02-queue-filtered')

    # 4. Open it with the keyboard (table focus, j, Enter).
    b.d.execute_script("document.querySelector('table.queue').focus()")
    b.d.switch_to.active_element.send_keys(Keys.ENTER)
    b.wait_ready('decision')
    check(did in b.d.current_url, f'keyboard opened {did}')
    hit_el = b.d.find_element(By.CSS_SELECTOR, f'.hit[data-entity="{eid}"]')
    check(hit_el.get_attribute('data-action') == 'MATCH_ACTION_BLOCK', 'hit blocks')
    check(len(hit_el.find_elements(By.CSS_SELECTOR, 'table.align td.exact')) >= 2, 'token alignment shown')
    b.d.find_element(By.ID, 'replay').click()
    b.wait(lambda: 'Identical under its versions' in b.d.find_element(By.CSS_SELECTOR, '.replay').text,
           60, 'replay identical')
    b.d.execute_script('window.scrollTo(0, 0)')
    b.shot('03-decision')
    listed = hit_el.find_element(By.CSS_SELECTOR, 'details.listed')
    listed.find_element(By.TAG_NAME, 'summary').click()
    b.wait(lambda: 'Presumption of denial' in listed.text, 30, 'listed record (licence policy)')
    check('Licence requirement' in listed.text, 'listed record shows the licence requirement')
    b.shot('03b-decision-hit-listed-record')

    # 5. Dismiss: no reason is refused in words; then with a reason.
    form = hit_el.find_element(By.CSS_SELECTOR, 'form.dismiss')
    form.find_element(By.TAG_NAME, 'button').click()
    b.wait(lambda: 'reason' in b.message(), 30, 'refusal without a reason')
    check('Correct the field' in b.message(), f'error says what to do: {b.message()}')
    b.shot('04-dismiss-no-reason')
    reason = form.find_element(By.NAME, 'reason')
    reason.send_keys('Different company: a Huawei reseller in Shenzhen, checked by phone')
    reason.send_keys(Keys.ENTER)
    b.wait(lambda: 'Recorded disposition DP' in b.message(), 30, 'disposition recorded')
    dp = b.message().split('Recorded disposition ')[1].split(':')[0]

    # 6. The next screening of the same request shows the hit dismissed.
    def new_decision_page():
        return (b.d.find_element(By.ID, 'main').get_attribute('data-ready') == 'decision'
                and did not in b.d.find_element(By.TAG_NAME, 'h2').text)
    b.d.find_element(By.ID, 'screen-again').click()
    try:
        WebDriverWait(b.d, 20).until(lambda d: new_decision_page())
    except Exception:
        # Seen once in a loaded CI run: no new page after the click. Say
        # what the page showed, then click once more; a second miss fails.
        print(f'screen again: no new decision page 20 s after the click; page message: '
              f'{b.message()!r}; clicking again')
        b.shot('05-screen-again-no-page')
        b.d.find_element(By.ID, 'screen-again').click()
        b.wait(new_decision_page, 60, 'new decision page')
    hit2 = b.d.find_element(By.CSS_SELECTOR, f'.hit[data-entity="{eid}"]')
    check(hit2.get_attribute('data-action') == 'MATCH_ACTION_DISMISSED', 'next screening: dismissed')
    check(dp in hit2.text, f'dismissed hit names {dp}')
    b.shot('05-decision-dismissed')
    b.go('#/queue?party=huawei&decision=REVIEW,LICENSE_REQUIRED,PROHIBITED,CLEAR', 'queue')
    first = b.d.find_elements(By.CSS_SELECTOR, 'table.queue tbody tr')[0]
    check(f'dismissed {eid}' in first.text, f'queue shows the disposition: {first.text}')

    # 7. Revoke on the dispositions page.
    b.go('#/dispositions', 'dispositions')
    rf = b.d.find_element(By.CSS_SELECTOR, f'form.revoke[data-id="{dp}"]')
    rf.find_element(By.TAG_NAME, 'input').send_keys('Reseller link not confirmed')
    rf.find_element(By.TAG_NAME, 'button').click()
    b.wait(lambda: 'Revoked' in b.message(), 30, 'revoked')
    b.wait_ready('dispositions')
    row = b.d.find_element(By.CSS_SELECTOR, f'tr[data-id="{dp}"]')
    check(row.find_element(By.CSS_SELECTOR, '.status').text == 'revoked', 'status revoked')
    b.shot('06-dispositions')
    st, again = s.call('POST', 'screen', dict(HUAWEI, request_id='after-revoke'))
    check([m['action'] for m in again['party_matches'] if m['entity_id'] == eid] ==
          ['MATCH_ACTION_BLOCK'], 'after revoke: blocks again')

    # 8. Alerts (the stale-list alert of --max_list_age): acknowledge.
    for _ in range(300):  # the maintenance loop raises it within seconds
        if s.call('GET', 'alerts', who='auditor')[1].get('alerts'):
            break
        time.sleep(0.1)
    b.go('#/alerts', 'alerts')
    buttons = [x for x in b.d.find_elements(By.TAG_NAME, 'button') if x.text == 'Acknowledge']
    if check(buttons, 'an alert to acknowledge'):
        buttons[0].click()
        b.wait(lambda: 'Acknowledged' in b.message(), 30, 'acknowledged')
        b.wait_ready('alerts')
        check('acknowledged by analyst' in b.d.find_element(By.ID, 'main').text, 'acknowledged by analyst')
    b.shot('07-alerts')

    # 9. Versions, admin log, the screen form.
    b.go('#/versions', 'versions')
    check('(active)' in b.d.find_element(By.ID, 'main').text, 'active versions shown')
    b.shot('08-versions')
    b.go('#/log', 'log')
    log = b.d.find_element(By.ID, 'main').text
    for m in ('RecordDisposition', 'RevokeDisposition', 'AcknowledgeAlert', 'Screen'):
        check(m in log, f'admin log shows {m}')
    check('console ipv4:127.0.0.1:' in log, 'admin log shows the browser\'s address')
    b.shot('09-admin-log')
    b.go('#/screen', 'screen')
    f = b.d.find_element(By.ID, 'screen-form')
    f.find_element(By.NAME, 'destination_country').send_keys('CN')
    party = f.find_element(By.CSS_SELECTOR, 'fieldset.party')
    party.find_element(By.NAME, 'name').send_keys('Semiconductor Manufacturing International Corp')
    party.find_element(By.NAME, 'country').send_keys('CN')
    f.find_element(By.NAME, 'description').send_keys('Oscilloscope')
    f.find_element(By.CSS_SELECTOR, 'button[type=submit]').click()
    b.wait(lambda: b.d.find_elements(By.CSS_SELECTOR, '.answer .hit'), 30, 'screen answer with a hit')
    b.shot('10-screen')
    f.find_element(By.NAME, 'destination_country').clear()
    f.find_element(By.NAME, 'destination_country').send_keys('XX')
    f.find_element(By.CSS_SELECTOR, 'button[type=submit]').click()
    b.wait(lambda: 'destination_country' in b.message(), 30, 'bad destination named')

    # 10. Narrow window: no horizontal page scroll.
    b.d.set_window_size(420, 800)
    b.go('#/queue', 'queue', full=True, timeout=60)
    width = b.d.execute_script('return [document.documentElement.scrollWidth, window.innerWidth]')
    check(width[0] <= width[1] + 1, f'narrow queue fits: {width}')
    b.shot('11-queue-narrow')
    b.go(f'#/decision/{did}', 'decision')
    width = b.d.execute_script('return [document.documentElement.scrollWidth, window.innerWidth]')
    check(width[0] <= width[1] + 1, f'narrow decision fits: {width}')
    b.shot('12-decision-narrow')
    b.d.set_window_size(1280, 800)

    # 11. Roles: an auditor reads but cannot dismiss; a screening client is
    # refused in words.
    b.sign_in(TOKENS['auditor'])
    b.wait_ready('queue', 60)
    b.go(f'#/decision/{did}', 'decision')
    main = b.d.find_element(By.ID, 'main')
    check('Only analysts can dismiss' in main.text and not main.find_elements(By.CSS_SELECTOR, 'form.dismiss'),
          'auditor sees no dismiss form')
    st, _ = s.call('POST', 'dispositions', {'decision_id': did, 'party_index': 0,
                                            'entity_id': eid, 'reason': 'x'},
                   who='auditor')
    check(st == 403, f'auditor dismiss via API: {st}')
    b.sign_in(TOKENS['client'])
    b.wait_ready('signin', 30)
    msg = b.message()
    check('403' in msg and 'the console' in msg, f'client refusal: {msg}')
    check('role' in msg, f'client refusal says what to do: {msg}')
    b.shot('13-role-refused')
    b.sign_in('not-a-token')
    b.wait_ready('signin', 30)
    check('401' in b.message() and 'Sign in' in b.message(), f'unknown token: {b.message()}')
    return figures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('build')
    ap.add_argument('src')
    ap.add_argument('--decisions', type=int, default=100000)
    ap.add_argument('--out', default=None)
    ap.add_argument('--docs', default=None, help='copy the screenshots here too')
    ap.add_argument('--timing_bars', choices=('enforce', 'report'), default='enforce',
                    help='report: print the render times without failing on them (the '
                         'sanitizer build, where a server is several times slower by design; '
                         'the main build enforces them)')
    a = ap.parse_args()
    ENFORCE_TIMING[0] = a.timing_bars == 'enforce'
    out = a.out or os.path.join(a.build, 'console-artifacts')
    os.makedirs(out, exist_ok=True)
    for tool in ('chromium', 'chromedriver'):
        if not shutil.which(tool):
            print(f'FAIL: {tool} not found; run tools/install-deps.sh (chromium chromium-driver)')
            sys.exit(1)
    s = Server(a.build, a.src, real_lists=True, extra_flags=['--max_list_age=5s'])
    b = None
    figures = {}
    try:
        work = s.dir
        n = populate(s, a.decisions, work)
        check(n >= a.decisions, f'stored {n} decisions, wanted {a.decisions}')
        b = Browser(s.base, out)
        figures = run(b, s, n)
        figures['decisions_stored'] = n
    except Exception as e:  # a crash of the test is a failure, with context
        import traceback
        traceback.print_exc()
        failures.append(f'exception: {e!r}')
        if b:
            b.shot('zz-failure')
    finally:
        if b:
            b.d.quit()
        if failures:
            print(s.tail())
        s.stop()
    if figures:
        print('figures:', json.dumps(figures, indent=1, default=str))
        with open(os.path.join(out, 'timings.json'), 'w') as f:
            json.dump(figures, f, indent=1, default=str)
        q, d = figures['queue_route_ms'], figures['decision_route_ms']
        print(f'queue first page ({figures["decisions_stored"]} decisions stored): '
              f'{q:.0f} ms route (API {figures["queue_fetch_ms"]:.0f} + render/paint '
              f'{figures["queue_render_ms"]:.0f}), {figures["queue_full_load_ms"]:.0f} ms full load; '
              f'bar {QUEUE_BAR_MS} ms: {"met" if max(q, figures["queue_full_load_ms"]) < QUEUE_BAR_MS else "NOT met"}')
        print(f'decision page: {d:.0f} ms route, {figures["decision_full_load_ms"]:.0f} ms full load; '
              f'bar {DECISION_BAR_MS} ms: {"met" if max(d, figures["decision_full_load_ms"]) < DECISION_BAR_MS else "NOT met"}')
        if 'round1' in figures:
            print(f'(second round of measurement; round 1: {figures["round1"]})')
        qf, df = figures['queue_full_load_ms'], figures['decision_full_load_ms']
        if a.timing_bars == 'enforce':
            check(q < QUEUE_BAR_MS, f'queue first page {q:.0f} ms >= {QUEUE_BAR_MS} ms')
            check(d < DECISION_BAR_MS, f'decision page {d:.0f} ms >= {DECISION_BAR_MS} ms')
            check(qf < QUEUE_BAR_MS, f'queue fresh load {qf:.0f} ms >= {QUEUE_BAR_MS} ms')
            check(df < DECISION_BAR_MS, f'decision fresh load {df:.0f} ms >= {DECISION_BAR_MS} ms')
        else:
            print('render-time bars reported, not enforced (--timing_bars=report: sanitizer build)')
        for page in ('queue', 'decision', 'dispositions', 'alerts', 'versions', 'log', 'screen'):
            shift = figures.get(f'{page}_cls')
            if check(shift is not None, f'{page}: layout shift measured'):
                print(f'{page}: layout shift {shift["cls"]:.4f} {shift["shifts"]}')
                check(shift['cls'] < CLS_BAR, f'{page} fresh load: layout shift {shift["cls"]:.3f} >= {CLS_BAR}: {shift["shifts"]}')
    if a.docs:
        os.makedirs(a.docs, exist_ok=True)
        for p in (b.shots if b else []):
            shutil.copy(p, a.docs)
    print(f'screenshots: {out}')
    finish('console browser test')


if __name__ == '__main__':
    main()
