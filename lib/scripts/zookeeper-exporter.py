#!/usr/bin/env python3
# Run by supervisord as the program `exporter` (see supervisord.conf), beside ZooKeeper in the same
# container, only for images without ZooKeeper's native Prometheus provider (ImageProfile.debian():
# Debian ships no zookeeper-prometheus-metrics jar). It serves the provider's metric names, so the
# same alert rules and dashboard work with either image:
#   python3 zookeeper-exporter.py --listen-port 7000 --zookeeper 127.0.0.1:2181 --perf-data-dir /tmp
#
# Every scrape asks ZooKeeper for `mntr` (it must be in 4lw.commands.whitelist) and reads the JVM's
# hsperfdata file, because mntr has no heap or GC figures and the JVM publishes them there for free
# (no agent, no JMX port). Python standard library only: the image has python3 for supervisord.
#
# A scrape always answers 200. When ZooKeeper is down or not serving, its series are absent, as the
# native provider's per-server gauges are; alerts use series presence (`up == 1 unless znode_count`)
# and zookeeper_exporter_mntr_up says why.
import argparse
import glob
import http.server
import os
import re
import signal
import socket
import struct
import sys
import threading
import time

MNTR_TIMEOUT_SECONDS = 2.0
MNTR_MAX_BYTES = 16 << 20
# mntr prints each summary as zk_{avg,min,max,cnt,sum}_X (plus p50..p999 for detailed ones). The
# native provider exports only X_count and X_sum (its quantiles come from its own sliding window,
# mntr's percentiles are since start: publishing those under the native name would mislead).
SUMMARY_PARTS = ('avg', 'min', 'max', 'cnt', 'sum', 'p50', 'p95', 'p99', 'p999')
# Summary sets from ServerMetrics.java (3.8) and the keys they are given: mntr prints
# zk_avg_<key>_<set>, the provider <set>_count{key="<key>"}. The per-peer sets are keyed by server
# id, which tells zk_cnt_<sid>_ack_latency apart from the plain summary zk_cnt_quorum_ack_latency.
SUMMARY_SETS = {'write_per_namespace': '.*', 'read_per_namespace': '.*', 'ack_latency': r'\d+',
                'learner_handler_qp_size': r'\d+', 'learner_handler_qp_time_ms': r'\d+'}
METRIC_NAME = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*\Z')

PERF_MAGIC = b'\xca\xfe\xc0\xc0'
# The collectors' perf-data names, as the GarbageCollectorMXBeans call them (simpleclient's gc label).
# JDK 17 has no MXBean for G1's remark/cleanup pauses; JDK 20+ names it "G1 Concurrent GC".
GC_NAMES = {'G1 young collection pauses': 'G1 Young Generation',
            'G1 full collection pauses': 'G1 Old Generation',
            'G1 concurrent cycle pauses': 'G1 Concurrent GC'}


def log(message):
    print(f'zookeeper-exporter: {message}', file=sys.stderr, flush=True)


class Metrics:
    """Families by name: (type, help, [(sample name, labels, value)]), rendered in name order."""

    def __init__(self):
        self.families = {}

    def add(self, family, kind, help_text, value, sample=None, labels=None):
        entry = self.families.setdefault(family, (kind, help_text, []))
        entry[2].append((sample or family, tuple(sorted((labels or {}).items())), value))

    def render(self):
        lines = []
        for family in sorted(self.families):
            kind, help_text, samples = self.families[family]
            lines.append(f'# HELP {family} {help_text.replace(chr(92), chr(92) * 2)}')
            lines.append(f'# TYPE {family} {kind}')
            for sample, labels, value in sorted(samples, key=lambda s: (s[0], s[1])):
                text = ','.join(f'{k}="{escape_label(v)}"' for k, v in labels)
                lines.append(f'{sample}{{{text}}} {number(value)}' if text else f'{sample} {number(value)}')
        return '\n'.join(lines) + '\n'


def escape_label(value):
    return value.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')


def number(value):
    # repr gives 'nan' and 'inf' for the odd non-finite value, which Prometheus parses too.
    return str(int(value)) if value.is_integer() and abs(value) < 2 ** 53 else repr(value)


def fetch_mntr(host, port):
    """mntr's whole reply (ZooKeeper closes after answering), or an exception after 2 s in total."""
    deadline = time.monotonic() + MNTR_TIMEOUT_SECONDS
    reply = b''
    with socket.create_connection((host, port), timeout=MNTR_TIMEOUT_SECONDS) as sock:
        sock.sendall(b'mntr')
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f'no complete mntr reply within {MNTR_TIMEOUT_SECONDS:g} s')
            sock.settimeout(remaining)
            chunk = sock.recv(65536)
            if not chunk:
                return reply.decode('utf-8', 'replace')
            reply += chunk
            if len(reply) > MNTR_MAX_BYTES:
                raise ValueError(f'mntr reply larger than {MNTR_MAX_BYTES} bytes')


def parse_mntr(reply):
    """The numeric zk_ lines; zk_version, zk_server_state and zk_peer_state are not numbers."""
    values = {}
    for line in reply.splitlines():
        key, tab, raw = line.partition('\t')
        if tab and key.startswith('zk_'):
            try:
                values[key[3:]] = float(raw)
            except ValueError:
                pass
    return values


def add_zookeeper(metrics, values):
    # A name is a summary part only when mntr also printed its cnt_: avg_latency, min_latency and
    # max_latency are plain gauges (there is no cnt_latency).
    summaries = {key[4:] for key in values if key.startswith('cnt_')}
    parts = {f'{part}_{base}' for base in summaries for part in SUMMARY_PARTS}
    for base in summaries:
        family, labels = base, {}
        for summary_set, key_pattern in SUMMARY_SETS.items():
            key = base[:-len(summary_set) - 1]
            if base.endswith('_' + summary_set) and re.fullmatch(key_pattern, key):
                family, labels = summary_set, {'key': key}
        if not METRIC_NAME.match(family):
            continue
        help_text = f'ZooKeeper summary {family} (mntr zk_cnt_/zk_sum_)'
        metrics.add(family, 'summary', help_text, values['cnt_' + base], family + '_count', labels)
        if 'sum_' + base in values:
            metrics.add(family, 'summary', help_text, values['sum_' + base], family + '_sum', labels)
    for name, value in values.items():
        if name not in parts and METRIC_NAME.match(name):
            # mntr does not say whether a value is a counter or a gauge.
            metrics.add(name, 'untyped', f'ZooKeeper {name} (mntr zk_{name})', value)


def parse_perfdata(data):
    """Name -> value of the long and string entries of an hsperfdata file (format 2.0)."""
    if len(data) < 32 or data[:4] != PERF_MAGIC:
        raise ValueError('not an hsperfdata file')
    order = '<' if data[4] == 1 else '>'
    if data[5] != 2:
        raise ValueError(f'unsupported hsperfdata version {data[5]}.{data[6]}')
    if not data[7]:
        raise ValueError('the JVM has not finished initialising it')
    entries = {}
    try:
        offset, count = struct.unpack_from(order + 'ii', data, 24)
        for _ in range(count):
            length, name_at, vector_length, kind, _flags, _units, _variability, value_at = \
                struct.unpack_from(order + 'iiiBBBBi', data, offset)
            if length <= 0:
                raise ValueError('corrupt entry')
            start = offset + name_at
            name = data[start:data.index(b'\0', start)].decode('ascii', 'replace')
            if kind == ord('J') and vector_length == 0:
                entries[name] = struct.unpack_from(order + 'q', data, offset + value_at)[0]
            elif kind == ord('B') and vector_length > 0:
                raw = data[offset + value_at:offset + value_at + vector_length]
                entries[name] = raw.split(b'\0', 1)[0].decode('utf-8', 'replace')
            offset += length
    except (struct.error, IndexError) as error:
        raise ValueError(f'truncated hsperfdata file: {error}') from error
    return entries


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, but another user's
    return True


def find_jvm(perf_data_dir):
    """(pid, perf entries) of the ZooKeeper JVM: HotSpot writes <dir>/hsperfdata_<user>/<pid>, where
    <dir> is /tmp on Linux whatever java.io.tmpdir says, <user> is the uid's name (a platform-assigned
    uid's is its number, as the runtime names it), and a killed JVM leaves its file behind.
    The newest live QuorumPeerMain wins over, say, a zkCli.sh."""
    found = []
    for path in glob.glob(os.path.join(perf_data_dir, 'hsperfdata_*', '*')):
        name = os.path.basename(path)
        if not name.isdigit() or not pid_alive(int(name)):
            continue
        try:
            with open(path, 'rb') as perf_file:
                entries = parse_perfdata(perf_file.read())
        except (OSError, ValueError):
            continue
        is_zookeeper = 'QuorumPeerMain' in str(entries.get('sun.rt.javaCommand', ''))
        found.append(((is_zookeeper, entries.get('sun.rt.createVmBeginTime', 0)), int(name), entries))
    if not found:
        return None
    _, pid, entries = max(found, key=lambda candidate: candidate[0])
    return pid, entries


def add_jvm(metrics, pid, c):
    def matching(pattern):
        return [value for name, value in c.items() if isinstance(value, int) and re.fullmatch(pattern, name)]

    heap_used = sum(matching(r'sun\.gc\.generation\.\d+\.space\.\d+\.used'))
    heap_committed = sum(matching(r'sun\.gc\.generation\.\d+\.capacity'))
    generation_max = matching(r'sun\.gc\.generation\.\d+\.maxCapacity')
    heap_max = sum(generation_max)
    if c.get('sun.gc.policy.name') == 'GarbageFirst':
        # Either G1 generation may grow to the whole heap, so each one's maximum is the heap's. G1
        # also pads every capacity by a few bytes so none reads 0; its sizes are whole regions
        # (>= 1 MiB), so rounding down to whole KiB restores the figures the MemoryMXBean reports.
        heap_committed, heap_max = heap_committed // 1024 * 1024, max(generation_max, default=0) // 1024 * 1024
    # Non-heap is metaspace plus class space, as the MXBean sums those pools; the code cache is not
    # in hsperfdata, so this reads lower than JMX by its size. The MXBean's non-heap max is
    # undefined (-1) without MaxMetaspaceSize, so none is exported.
    non_heap_used = c.get('sun.gc.metaspace.used', 0) + c.get('sun.gc.compressedclassspace.used', 0)
    non_heap_committed = c.get('sun.gc.metaspace.capacity', 0) + c.get('sun.gc.compressedclassspace.capacity', 0)
    for family, area, value in (('used', 'heap', heap_used), ('used', 'nonheap', non_heap_used),
                                ('committed', 'heap', heap_committed), ('committed', 'nonheap', non_heap_committed),
                                ('max', 'heap', heap_max)):
        metrics.add(f'jvm_memory_bytes_{family}', 'gauge', f'{family.capitalize()} bytes of a JVM memory area (hsperfdata).',
                    float(value), labels={'area': area})

    frequency = c.get('sun.os.hrt.frequency') or 1
    collector = 0
    while f'sun.gc.collector.{collector}.name' in c:
        prefix = f'sun.gc.collector.{collector}.'
        gc = GC_NAMES.get(c[prefix + 'name'], c[prefix + 'name'])
        help_text = 'Time spent in a given JVM garbage collector in seconds (hsperfdata).'
        metrics.add('jvm_gc_collection_seconds', 'summary', help_text, float(c.get(prefix + 'invocations', 0)),
                    'jvm_gc_collection_seconds_count', {'gc': gc})
        metrics.add('jvm_gc_collection_seconds', 'summary', help_text, c.get(prefix + 'time', 0) / frequency,
                    'jvm_gc_collection_seconds_sum', {'gc': gc})
        collector += 1

    if 'sun.rt.createVmBeginTime' in c:
        metrics.add('process_start_time_seconds', 'gauge', 'Start time of the JVM since unix epoch in seconds.',
                    c['sun.rt.createVmBeginTime'] / 1000)
    add_process(metrics, pid)


def add_process(metrics, pid):
    """The process_* figures the provider reads from the JVM itself, read here from /proc."""
    try:
        with open(f'/proc/{pid}/stat') as stat_file:
            fields = stat_file.read().rsplit(')', 1)[1].split()
        cpu_seconds = (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')
        metrics.add('process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds.', cpu_seconds)
        metrics.add('process_virtual_memory_bytes', 'gauge', 'Virtual memory size in bytes.', float(fields[20]))
        metrics.add('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.',
                    float(int(fields[21]) * os.sysconf('SC_PAGE_SIZE')))
        metrics.add('process_open_fds', 'gauge', 'Number of open file descriptors.', float(len(os.listdir(f'/proc/{pid}/fd'))))
        with open(f'/proc/{pid}/limits') as limits_file:
            for line in limits_file:
                if line.startswith('Max open files') and line.split()[3].isdigit():
                    metrics.add('process_max_fds', 'gauge', 'Maximum number of open file descriptors.', float(line.split()[3]))
    except (OSError, IndexError, ValueError):
        pass  # the JVM exited mid-scrape, or /proc is not readable: keep what was read


class Exporter:
    def __init__(self, zookeeper_host, zookeeper_port, perf_data_dir):
        self.zookeeper = (zookeeper_host, zookeeper_port)
        self.perf_data_dir = perf_data_dir
        self.problems = {}
        self.lock = threading.Lock()

    def report(self, source, problem):
        """Logs a source's problem when it changes, not on every scrape."""
        with self.lock:
            before = self.problems.get(source)
            self.problems[source] = problem
        if problem and problem != before:
            log(f'{source}: {problem}')
        elif before and not problem:
            log(f'{source}: ok again')

    def scrape(self):
        started = time.monotonic()
        metrics = Metrics()
        values = {}
        try:
            reply = fetch_mntr(*self.zookeeper)
            values = parse_mntr(reply)
            self.report('mntr', None if values else f'no metrics in reply: {reply.strip()[:160]!r}')
        except Exception as error:  # pylint: disable=broad-except
            self.report('mntr', f'{type(error).__name__}: {error}')
        add_zookeeper(metrics, values)
        jvm = None
        try:
            jvm = find_jvm(self.perf_data_dir)
            # HotSpot keeps its perf data private when its uid has no user name (no passwd entry):
            # CRI-O and podman add an entry for a platform-assigned uid, other runtimes may not.
            self.report('jvm', None if jvm else f'no live JVM with hsperfdata under {self.perf_data_dir} '
                        f'(a JVM whose uid has no passwd entry writes none; this process runs as uid {os.getuid()})')
            if jvm:
                add_jvm(metrics, *jvm)
        except Exception as error:  # pylint: disable=broad-except
            self.report('jvm', f'{type(error).__name__}: {error}')
        metrics.add('zookeeper_exporter_mntr_up', 'gauge', '1 when ZooKeeper answered mntr with metrics (it is serving).',
                    1.0 if values else 0.0)
        metrics.add('zookeeper_exporter_jvm_up', 'gauge', '1 when the JVM figures were read from hsperfdata.',
                    1.0 if jvm else 0.0)
        metrics.add('zookeeper_exporter_scrape_duration_seconds', 'gauge', 'Time this scrape took in seconds.',
                    time.monotonic() - started)
        return metrics.render()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (BaseHTTPRequestHandler's naming)
        if self.path.split('?', 1)[0] not in ('/', '/metrics'):
            self.send_error(404)
            return
        body = self.server.exporter.scrape().encode('utf-8')
        self.send_response(200)
        self.send_header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass  # no line per scrape


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description='Serves ZooKeeper mntr and JVM figures under the native Prometheus names.')
    parser.add_argument('--listen-address', default='0.0.0.0')
    parser.add_argument('--listen-port', required=True, type=int)
    parser.add_argument('--zookeeper', required=True, metavar='HOST:PORT')
    parser.add_argument('--perf-data-dir', required=True, help='where the JVM writes hsperfdata_<user>/<pid>')
    args = parser.parse_args(argv)
    if not 1 <= args.listen_port <= 65535:
        parser.error(f'--listen-port must be 1-65535, got {args.listen_port}')
    host, _, port = args.zookeeper.rpartition(':')
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        parser.error(f'--zookeeper must be HOST:PORT, got {args.zookeeper!r}')
    args.zookeeper_host, args.zookeeper_port = host.strip('[]'), int(port)
    if not os.path.isdir(args.perf_data_dir):
        parser.error(f'--perf-data-dir {args.perf_data_dir} is not a directory')
    return args


def main(argv):
    args = parse_arguments(argv)

    class Server(http.server.ThreadingHTTPServer):
        address_family = socket.AF_INET6 if ':' in args.listen_address else socket.AF_INET

    try:
        server = Server((args.listen_address, args.listen_port), Handler)
    except OSError as error:
        log(f'cannot listen on {args.listen_address}:{args.listen_port}: {error}')
        return 1
    server.exporter = Exporter(args.zookeeper_host, args.zookeeper_port, args.perf_data_dir)

    def stop(_signum, _frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log(f'serving /metrics on {args.listen_address}:{args.listen_port} for ZooKeeper {args.zookeeper}, '
        f'JVM figures from {args.perf_data_dir}/hsperfdata_*')
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
