#!/usr/bin/env python3
"""Progress of fuzzing campaigns over time: CSV per driver, PNG per run, Markdown table.

Used by ci/fuzz, ci/afl and ci/campaign (run with /usr/bin/python3.11; only `plot`
needs matplotlib, Debian's python3-matplotlib):

    campaign.py libfuzzer-log LOG CSV
        Copies libFuzzer's output (stdin) to LOG unchanged and writes CSV: one row per
        status line (#N INITED/NEW/REDUCE/pulse/DONE in plain mode, "#N: cov: ..." in
        -fork mode), stamped with the seconds since this reader started (libFuzzer
        prints no time in plain mode), one per crash artifact, and one at EOF.
    campaign.py afl-statsd DIR NAME...
        Listens for AFL++'s StatsD metrics (AFL_STATSD=1, sent about once a second),
        one UDP port per afl-fuzz instance NAME: writes "NAME PORT" lines to DIR/ports
        once bound, then appends each packet to DIR/statsd-NAME.csv until SIGTERM.
    campaign.py afl-csv DIR
        DIR/progress.csv from DIR/statsd-*.csv (all instances together: executions and
        crashes summed, edges and corpus the largest), or, without StatsD rows, from
        AFL++'s own DIR/sync/*/plot_data (written every 5 s, only after the first 60 s)
        and DIR/sync/*/fuzzer_stats (every 60 s and at exit).
    campaign.py plot PNG TITLE CSV...
        Coverage, corpus size and exec/s against time, one line per CSV (the driver
        is the CSV's directory name).
    campaign.py table RESULT...
        A Markdown table (execs, exec/s, coverage, corpus, new corpus files, merge,
        crashes) from the result.tsv files that ci/fuzz and ci/afl write per driver.

progress.csv columns (the same for both engines):
    seconds      since the campaign of that driver started
    execs        executions so far (all processes / instances)
    exec_per_s   execs / seconds (the average so far)
    cov          libFuzzer: cov (edges of its PC guards); AFL++: edges_found
    ft           libFuzzer: ft (features); AFL++: empty
    corpus_files units in the corpus (libFuzzer corp:, AFL++ corpus_count)
    corpus_bytes their total size (libFuzzer plain mode; AFL++: the queue/ directory;
                 empty where the engine does not say)
    crashes      crash/leak/timeout/oom artifacts so far (AFL++: saved_crashes)
"""
import csv
import os
import re
import select
import signal
import socket
import sys
import time

COLUMNS = ['seconds', 'execs', 'exec_per_s', 'cov', 'ft', 'corpus_files', 'corpus_bytes', 'crashes']


def rate(execs, seconds):
    return int(execs / seconds) if seconds > 0 else 0


# ---- libFuzzer ------------------------------------------------------------------------
# Plain:  "#4096\tpulse  cov: 157 ft: 540 corp: 61/2405b lim: 4 exec/s: 2048 rss: 31Mb"
# Fork:   "#81920: cov: 157 ft: 540 corp: 61 exec/s 4096 oom/timeout/crash: 0/0/0 time: 21s job: 3 dft_time: 0"
STATUS = re.compile(r'^#(\d+):?\s')
FIELD = {
    'cov': re.compile(r'\scov: (\d+)'),
    'ft': re.compile(r'\sft: (\d+)'),
    'corp': re.compile(r'\scorp: (\d+)(?:/(\d+)(b|Kb|Mb))?'),
    'forkcrash': re.compile(r'\soom/timeout/crash: (\d+)/(\d+)/(\d+)'),
}
UNIT = {'b': 1, 'Kb': 1 << 10, 'Mb': 1 << 20}
ARTIFACT = re.compile(r'Test unit written to .*?/?(crash|leak|timeout|oom)-[0-9a-f]+')


def libfuzzer_log(log_path, csv_path):
    t0 = time.monotonic()
    last = {'execs': 0, 'cov': 0, 'ft': 0, 'corpus_files': 0, 'corpus_bytes': '', 'crashes': 0}
    artifacts = 0
    with open(log_path, 'w', encoding='utf-8', errors='replace') as log, \
            open(csv_path, 'w', newline='') as out:
        w = csv.writer(out)
        w.writerow(COLUMNS)

        def row():
            s = round(time.monotonic() - t0, 2)
            w.writerow([s, last['execs'], rate(last['execs'], s), last['cov'], last['ft'],
                        last['corpus_files'], last['corpus_bytes'], last['crashes']])
            out.flush()

        for line in sys.stdin.buffer:
            text = line.decode('utf-8', 'replace')
            log.write(text)
            log.flush()
            m = STATUS.match(text)
            if m and ' cov: ' in text:
                last['execs'] = int(m.group(1))
                for k in ('cov', 'ft'):
                    f = FIELD[k].search(text)
                    if f:
                        last[k] = int(f.group(1))
                f = FIELD['corp'].search(text)
                if f:
                    last['corpus_files'] = int(f.group(1))
                    if f.group(2):
                        last['corpus_bytes'] = int(f.group(2)) * UNIT[f.group(3)]
                f = FIELD['forkcrash'].search(text)
                if f:  # -fork: the parent counts its jobs' ooms, timeouts and crashes
                    last['crashes'] = max(artifacts, sum(int(x) for x in f.groups()))
                row()
            elif ARTIFACT.search(text):
                artifacts += 1
                last['crashes'] = max(last['crashes'], artifacts)
                row()
        row()  # EOF: the lines reach the end of the run


# ---- AFL++ -----------------------------------------------------------------------------
def afl_statsd(outdir, names):
    socks = {}
    for name in names:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(('127.0.0.1', 0))  # a free port: other campaigns may be listening too
        socks[s] = name
    files = {}
    for s, name in socks.items():
        f = open(os.path.join(outdir, 'statsd-%s.csv' % name), 'w', newline='')
        f.write('seconds,metrics\n')
        files[name] = f
    tmp = os.path.join(outdir, 'ports.tmp')
    with open(tmp, 'w') as f:
        for s, name in socks.items():
            f.write('%s %d\n' % (name, s.getsockname()[1]))
    os.rename(tmp, os.path.join(outdir, 'ports'))  # appears whole: ci/afl waits for it
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    t0 = time.monotonic()
    parent = os.getppid()
    while os.getppid() == parent:  # ci/afl gone (interrupted): stop too
        ready, _, _ = select.select(list(socks), [], [], 2.0)
        for s in ready:
            data = s.recv(65536).decode('ascii', 'replace')
            # "fuzzing.execs_done:456|g\n..." -> "execs_done=456;..." (one CSV cell)
            kv = []
            for m in re.finditer(r'(?:^|\n)[\w.]*?(\w+):([0-9.]+)\|g', data):
                kv.append('%s=%s' % m.groups())
            f = files[socks[s]]
            f.write('%.2f,%s\n' % (time.monotonic() - t0, ';'.join(kv)))
            f.flush()


def dir_bytes(path):
    total = 0
    try:
        with os.scandir(path) as it:
            for e in it:
                if e.is_file():
                    total += e.stat().st_size
    except OSError:
        return ''
    return total


def read_kv_file(path, sep):
    d = {}
    try:
        with open(path) as f:
            for line in f:
                if sep in line:
                    k, v = line.split(sep, 1)
                    d[k.strip()] = v.strip()
    except OSError:
        pass
    return d


def num(s, default=0):
    try:
        return float(str(s).rstrip('%'))
    except ValueError:
        return default


def afl_csv(d):
    series = {}  # instance -> [(seconds, {metric: value})]
    for fn in sorted(os.listdir(d)):
        m = re.fullmatch(r'statsd-(.+)\.csv', fn)
        if not m:
            continue
        rows = []
        with open(os.path.join(d, fn)) as f:
            next(f, None)
            for line in f:
                sec, _, rest = line.rstrip('\n').partition(',')
                kv = dict(p.split('=', 1) for p in rest.split(';') if '=' in p)
                if 'execs_done' in kv:
                    rows.append((float(sec), kv))
        if rows:
            series[m.group(1)] = rows
    sync = os.path.join(d, 'sync')
    names = sorted(os.listdir(sync)) if os.path.isdir(sync) else []
    out_rows = []
    if series:
        # All instances on one clock: at each packet, every instance's latest values.
        events = sorted((t, name, kv) for name, rows in series.items() for t, kv in rows)
        latest = {}
        for t, name, kv in events:
            latest[name] = kv
            execs = sum(int(num(v.get('execs_done'))) for v in latest.values())
            cov = max(int(num(v.get('edges_found'))) for v in latest.values())
            corp = max(int(num(v.get('corpus_count'))) for v in latest.values())
            crashes = sum(int(num(v.get('saved_crashes'))) for v in latest.values())
            r = [round(t, 2), execs, rate(execs, t), cov, '', corp, '', crashes]
            if out_rows and int(out_rows[-1][0]) == int(t):
                out_rows[-1] = r  # at most one row a second
            else:
                out_rows.append(r)
        # The queue's size now, for the last row (StatsD does not send it).
        if out_rows:
            sizes = [dir_bytes(os.path.join(sync, n, 'queue')) for n in names]
            sizes = [s for s in sizes if s != '']
            out_rows[-1][6] = max(sizes) if sizes else ''
    else:
        # AFL++'s own files: plot_data (relative_time, ..., corpus_count, ..., saved_crashes,
        # ..., total_execs, edges_found) per instance, summed at equal times.
        by_t = {}
        for n in names:
            try:
                with open(os.path.join(sync, n, 'plot_data')) as f:
                    for line in f:
                        if line.startswith('#'):
                            continue
                        p = [x.strip() for x in line.split(',')]
                        if len(p) < 13:
                            continue
                        by_t.setdefault(int(p[0]), {})[n] = p
            except OSError:
                pass
        latest = {}
        for t in sorted(by_t):
            latest.update(by_t[t])
            execs = sum(int(num(p[11])) for p in latest.values())
            out_rows.append([t, execs, rate(execs, t), max(int(num(p[12])) for p in latest.values()), '',
                             max(int(num(p[3])) for p in latest.values()), '',
                             sum(int(num(p[7])) for p in latest.values())])
        stats = [read_kv_file(os.path.join(sync, n, 'fuzzer_stats'), ':') for n in names]
        stats = [s for s in stats if 'execs_done' in s]
        if stats:
            t = max(num(s.get('run_time')) for s in stats)
            execs = sum(int(num(s.get('execs_done'))) for s in stats)
            final = [t, execs, rate(execs, t), max(int(num(s.get('edges_found'))) for s in stats), '',
                     max(int(num(s.get('corpus_count'))) for s in stats), '',
                     sum(int(num(s.get('saved_crashes'))) for s in stats)]
            if not out_rows or out_rows[-1][0] < t:
                out_rows.append(final)
    with open(os.path.join(d, 'progress.csv'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        w.writerows(out_rows)
    return 0 if out_rows else 1


# ---- plot --------------------------------------------------------------------------------
def load_csv(path):
    rows = []
    with open(path, newline='') as f:
        for r in csv.DictReader(f):
            try:
                rows.append({k: (float(v) if v not in ('', None) else None) for k, v in r.items()})
            except ValueError:
                continue
    return rows


def windowed_rate(rows, n_windows=40):
    """exec/s over n_windows windows from the first row to the last that counted
    executions (execs interpolated linearly between rows)."""
    # Up to the last row that counted executions: after it the engine only shuts down
    # (libFuzzer's DONE, final stats, the EOF row), which would read as a fall to zero.
    while len(rows) >= 2 and rows[-1]['execs'] == rows[-2]['execs']:
        rows = rows[:-1]
    if len(rows) < 2:
        return [], []
    ts = [r['seconds'] for r in rows]
    xs = [r['execs'] for r in rows]
    begin, end = ts[0], ts[-1]  # nothing is known before the first row
    if end <= begin:
        return [], []

    def execs_at(t):
        for i in range(1, len(ts)):
            if ts[i] >= t:
                if ts[i] == ts[i - 1]:
                    return xs[i]
                return xs[i - 1] + (xs[i] - xs[i - 1]) * (t - ts[i - 1]) / (ts[i] - ts[i - 1])
        return xs[-1]

    step = (end - begin) / n_windows
    out_t, out_r = [], []
    prev = execs_at(begin)
    for k in range(1, n_windows + 1):
        t = begin + k * step
        cur = execs_at(t)
        out_t.append(t - step / 2)
        out_r.append(max((cur - prev) / step, 0.0))
        prev = cur
    return out_t, out_r


def plot(png, title, csvs):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    data = []
    for p in csvs:
        rows = load_csv(p)
        if rows:
            data.append((os.path.basename(os.path.dirname(os.path.abspath(p))), rows))
    if not data:
        print('campaign.py plot: no rows in %s' % ' '.join(csvs), file=sys.stderr)
        return 1
    end = max(r[-1]['seconds'] for _, r in data)
    scale, unit = (60.0, 'min') if end > 600 else (1.0, 's')
    fig, axes = plt.subplots(1, 3, figsize=(16, 5.6))
    cmap = plt.get_cmap('tab10')
    for i, (name, rows) in enumerate(sorted(data, key=lambda x: x[0])):
        c = cmap(i % 10)
        t = [r['seconds'] / scale for r in rows]
        label = name.replace('_fuzz', '')
        axes[0].step(t, [r['cov'] for r in rows], where='post', color=c, label=label)
        axes[1].step(t, [r['corpus_files'] for r in rows], where='post', color=c, label=label)
        wt, wr = windowed_rate(rows)
        if wt:
            axes[2].plot([x / scale for x in wt], wr, color=c, label=label)
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    whole = FuncFormatter(lambda v, _: '{:,.0f}'.format(v) if v >= 1 else '{:g}'.format(v))
    for ax, ylabel, panel in zip(axes, ['edges', 'files', 'exec/s'],
                                 ['coverage', 'corpus size', 'exec/s (over 1/40 of the run)']):
        ax.set_title(panel)
        ax.set_xlabel('time (%s)' % unit)
        ax.set_ylabel(ylabel)
        ys = [y for line in ax.get_lines() for y in line.get_ydata() if y is not None and y > 0]
        if ys and max(ys) / min(ys) > 20:  # drivers orders of magnitude apart: log scale
            ax.set_yscale('log')
            ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            ax.yaxis.set_minor_formatter(NullFormatter())
        ax.yaxis.set_major_formatter(whole)
        ax.grid(True, which='major', alpha=0.4)
        ax.set_xlim(left=0)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc='lower center', ncol=min(len(labels), 8), frameon=False)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(png, dpi=80)
    print('plot: %s' % png)
    return 0


# ---- table ---------------------------------------------------------------------------------
def table(results):
    rows = []
    for p in results:
        d = read_kv_file(p, '\t')
        if d:
            rows.append(d)
    if not rows:
        print('campaign.py table: no results', file=sys.stderr)
        return 1
    print('| engine | driver | seconds | procs | execs | exec/s | coverage | corpus: start → end (new) '
          '| merged into corpus/ | crashes |')
    print('|---|---|--:|--:|--:|--:|---|---|---|--:|')
    for d in rows:
        print('| %s | %s | %s | %s | %s | %s | %s | %s → %s (+%s) | %s | %s |' % (
            d.get('engine', '?'), d.get('driver', '?'), d.get('seconds', '?'), d.get('procs', '?'),
            '{:,}'.format(int(num(d.get('execs')))), '{:,}'.format(int(num(d.get('exec_per_s')))),
            d.get('coverage', '?'), d.get('corpus_start', '?'), d.get('corpus_end', '?'),
            d.get('corpus_new', '?'), d.get('merged', '-').replace('->', '→'), d.get('crashes', '?')))
    return 0


def main(argv):
    if len(argv) >= 3 and argv[0] == 'libfuzzer-log':
        return libfuzzer_log(argv[1], argv[2])
    if len(argv) >= 3 and argv[0] == 'afl-statsd':
        return afl_statsd(argv[1], argv[2:])
    if len(argv) == 2 and argv[0] == 'afl-csv':
        return afl_csv(argv[1])
    if len(argv) >= 4 and argv[0] == 'plot':
        return plot(argv[1], argv[2], argv[3:])
    if len(argv) >= 2 and argv[0] == 'table':
        return table(argv[1:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]) or 0)
