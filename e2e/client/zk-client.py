#!/usr/bin/env python3
"""ZooKeeper client of the end-to-end tests, run inside the client image (e2e/client/Containerfile)
on the same podman network as the members:

    podman run --rm --network NET localhost/cdk8s-zookeeper-e2e-client:latest COMMAND [options]

Commands:
  ping        --hosts H:P[,H:P...]                       connect, then exit 0
  write       --hosts ... --prefix /e2e/x --count N       create N znodes, retrying transient failures
  write-loop  --hosts ... --prefix /e2e/x --duration S    create znodes for S seconds (failover test)
  read        --hosts H:P --prefix /e2e/x                 sync, then list what is under the prefix

Output: one JSON object per line on stdout, for the harness to parse; diagnostics on stderr.
  write, write-loop:  {"acked": SEQ, "t": UNIX_SECONDS} for each write the ensemble acknowledged,
                      {"error": "...", "seq": SEQ, "t": ...} for each failed attempt,
                      then {"done": true, "acked_count": N, "errors": E, "t": ...}
  read:               {"count": N, "seqs": [sorted SEQs], "exists": true|false, "server": "H:P"}
  ping:               {"connected": "H:P", "t": ...}
SASL (every command): --sasl-user U --sasl-password P  authenticate the session with SASL
DIGEST-MD5 (kazoo's sasl_options, through pure-sasl) before any request.
TLS (every command): --ca CA.pem --certfile CERT.pem --keyfile KEY.pem connect with TLS, verifying
the server's certificate chain against CA.pem and presenting CERT.pem (ZooKeeper asks TLS clients
for a certificate). kazoo 2.8 does not check the server's host name; the harness checks that with
openssl.

Each znode is <prefix>/w-<SEQ zero-padded to 10 digits>, persistent, data = SEQ in decimal.
SEQs start at --start (default 0) and increase by one per acknowledged write, with no gaps.
Exit status: 0 on success, 1 when the command failed (timeout, unrecoverable error), 2 on usage.

What counts as acknowledged: a create that returned successfully, or - only for a SEQ whose
earlier attempt ended without an answer (connection loss, session expiry, timeout), so that the
attempt may or may not have been applied - a retry that fails with NodeExists. The path is unique
to this process, so an existing node can only be that earlier attempt, and the server only answers
NodeExists after the create is committed. NodeExists on a first attempt means the prefix was used
before: that is an error, never an ack. Every acked seq is therefore stored; a later `read` may
show one seq more than was acked when the last attempt of a run was left without an answer.
"""

import argparse
import json
import logging
import os
import signal
import sys
import time

from kazoo.client import KazooClient
from kazoo.exceptions import (
    ConnectionClosedError,
    ConnectionLoss,
    NodeExistsError,
    NoNodeError,
    OperationTimeoutError,
    SessionExpiredError,
)
from kazoo.handlers.threading import KazooTimeoutError
from kazoo.retry import KazooRetry

# Failures after which a create may or may not have been applied: retry it, and accept NodeExists.
AMBIGUOUS = (ConnectionLoss, SessionExpiredError, ConnectionClosedError, OperationTimeoutError, KazooTimeoutError)


def emit(**fields):
    """One JSON line on stdout, flushed at once: the harness reads it while we run."""
    sys.stdout.write(json.dumps(fields, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def note(message):
    sys.stderr.write("zk-client: %s\n" % message)
    sys.stderr.flush()


def node_path(prefix, seq):
    return "%s/w-%010d" % (prefix, seq)


def connect(args):
    """Starts a session, or exits 1 when no server accepts one within --connect-timeout."""
    client = KazooClient(
        hosts=args.hosts,
        # A short session: after a leader is killed the client notices within a few seconds.
        timeout=args.session_timeout,
        # Keep reconnecting for as long as the process runs; the commands bound their own time.
        connection_retry=KazooRetry(max_tries=-1, delay=0.1, backoff=1.5, max_delay=1.0),
        # Operations are retried here, by seq, where ambiguity is handled; not inside kazoo.
        command_retry=None,
        randomize_hosts=True,
        **sasl_options(args),
        **tls_options(args),
    )
    try:
        client.start(timeout=args.connect_timeout)
    except KazooTimeoutError:
        client.stop()
        client.close()
        fail("no server of %s accepted a session within %.1f s" % (args.hosts, args.connect_timeout))
    return client


def sasl_options(args):
    """KazooClient's SASL arguments: none without --sasl-user."""
    if args.sasl_user is None:
        return {}
    return dict(sasl_options={"mechanism": "DIGEST-MD5", "username": args.sasl_user, "password": args.sasl_password})
def tls_options(args):
    """KazooClient's TLS arguments: none without --ca, else TLS verified against the CA."""
    if args.ca is None:
        return {}
    return dict(use_ssl=True, verify_certs=True, ca=args.ca, certfile=args.certfile, keyfile=args.keyfile)


def close(client):
    try:
        client.stop()
        client.close()
    except Exception as exc:  # closing must never hide the command's own result
        note("closing the session failed: %r" % (exc,))


def fail(message):
    """Exits 1 at once: sys.exit could wait for kazoo's threads, which may be stuck reconnecting."""
    note(message)
    sys.stdout.flush()
    os._exit(1)


def connected_server(client):
    """The server this session is connected to, as host:port (best effort, for diagnostics)."""
    try:
        host, port = client._connection._socket.getpeername()[:2]
        return "%s:%d" % (host, port)
    except Exception:
        return None


def ensure_prefix(client, args):
    deadline = time.monotonic() + args.op_timeout * 3
    while True:
        try:
            client.ensure_path(args.prefix)
            return
        except AMBIGUOUS as exc:
            if time.monotonic() > deadline:
                fail("could not create %s: %r" % (args.prefix, exc))
            time.sleep(0.1)


class Writer:
    """Creates <prefix>/w-<seq> for consecutive seqs and reports each outcome as a JSON line."""

    def __init__(self, client, args):
        self.client = client
        self.args = args
        self.seq = args.start
        self.acked = 0
        self.errors = 0
        # True once an attempt for the current seq ended without a definite answer.
        self.maybe_applied = False

    def attempt(self):
        """One create attempt for the current seq. True when it was acknowledged."""
        seq = self.seq
        try:
            self.client.create_async(node_path(self.args.prefix, seq), str(seq).encode()).get(
                timeout=self.args.op_timeout)
        except NodeExistsError:
            if not self.maybe_applied:
                # Nobody else writes this path: the prefix holds data from another run.
                self.report_error(seq, "NodeExists on the first attempt: %s was used before" % self.args.prefix)
                fail("prefix %s already holds w-%010d; use a fresh prefix" % (self.args.prefix, seq))
            # Our earlier, unanswered attempt was applied.
        except AMBIGUOUS as exc:
            self.maybe_applied = True
            self.report_error(seq, type(exc).__name__)
            return False
        except NoNodeError:
            self.report_error(seq, "NoNode: %s does not exist" % self.args.prefix)
            fail("the prefix %s vanished" % self.args.prefix)
        self.acked += 1
        emit(acked=seq, t=time.time())
        self.seq += 1
        self.maybe_applied = False
        return True

    def report_error(self, seq, what):
        self.errors += 1
        emit(error=what, seq=seq, t=time.time())

    def done(self):
        emit(done=True, acked_count=self.acked, errors=self.errors, t=time.time())


def cmd_ping(args):
    client = connect(args)
    emit(connected=connected_server(client) or args.hosts, t=time.time())
    close(client)


def cmd_write(args):
    """N writes; a failed attempt is retried until --timeout, after which the command fails."""
    client = connect(args)
    ensure_prefix(client, args)
    writer = Writer(client, args)
    deadline = time.monotonic() + args.timeout
    while writer.acked < args.count:
        if not writer.attempt():
            if time.monotonic() > deadline:
                writer.done()
                fail("only %d of %d writes acknowledged within %.1f s" % (writer.acked, args.count, args.timeout))
            time.sleep(args.retry_delay)
    writer.done()
    close(client)


def cmd_write_loop(args):
    """Writes for --duration seconds, retrying every failure, so the gaps show unavailability."""
    client = connect(args)
    ensure_prefix(client, args)
    writer = Writer(client, args)
    end = time.monotonic() + args.duration
    while time.monotonic() < end:
        if writer.attempt():
            if args.interval > 0:
                time.sleep(args.interval)
        else:
            time.sleep(args.retry_delay)
    writer.done()
    close(client)
    if writer.acked == 0:
        fail("no write was acknowledged in %.1f s" % args.duration)


def cmd_read(args):
    client = connect(args)
    server = connected_server(client) or args.hosts
    deadline = time.monotonic() + args.op_timeout
    try:
        # A follower may lag its leader; sync makes it catch up with everything committed so far.
        client.sync_async(args.prefix).get(timeout=max(0.1, deadline - time.monotonic()))
        children = client.get_children_async(args.prefix).get(timeout=max(0.1, deadline - time.monotonic()))
        exists = True
    except NoNodeError:
        children, exists = [], False
    except AMBIGUOUS as exc:
        close(client)
        fail("reading %s from %s failed: %r" % (args.prefix, server, exc))
    seqs = sorted(int(name[2:]) for name in children if name.startswith("w-") and name[2:].isdigit())
    others = [name for name in children if not (name.startswith("w-") and name[2:].isdigit())]
    if others:
        note("ignored %d children not written by this client, e.g. %s" % (len(others), others[0]))
    emit(count=len(seqs), seqs=seqs, exists=exists, server=server)
    close(client)


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="zk-client", description="ZooKeeper client of the e2e tests")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p):
        p.add_argument("--hosts", required=True, help="comma-separated host:port list")
        p.add_argument("--session-timeout", type=float, default=6.0, help="session timeout, s (default 6)")
        p.add_argument("--connect-timeout", type=float, default=30.0, help="time to get a first session, s (default 30)")
        p.add_argument("--op-timeout", type=float, default=5.0, help="time one request may take, s (default 5)")
        p.add_argument("--deadline", type=float, default=None,
                       help="hard limit for the whole command, s: the process exits 1 after it (default: derived)")
        p.add_argument("--sasl-user", default=None, help="authenticate with SASL DIGEST-MD5 as this user")
        p.add_argument("--sasl-password", default=None, help="with --sasl-user: the password")
        p.add_argument("--ca", default=None, help="connect with TLS, trusting this CA certificate (PEM)")
        p.add_argument("--certfile", default=None, help="with --ca: the client certificate (PEM)")
        p.add_argument("--keyfile", default=None, help="with --ca: the client key (PEM)")

    def prefix(p):
        p.add_argument("--prefix", required=True, help="absolute znode path; created if missing")

    def writes(p):
        p.add_argument("--start", type=int, default=0, help="first seq (default 0)")
        p.add_argument("--retry-delay", type=float, default=0.05, help="pause after a failed attempt, s (default 0.05)")

    common(sub.add_parser("ping", help="connect and exit 0"))

    p = sub.add_parser("write", help="create --count znodes")
    common(p)
    prefix(p)
    writes(p)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--timeout", type=float, default=60.0, help="give up retrying after this many seconds (default 60)")

    p = sub.add_parser("write-loop", help="create znodes for --duration seconds")
    common(p)
    prefix(p)
    writes(p)
    p.add_argument("--duration", type=float, required=True)
    p.add_argument("--interval", type=float, default=0.01,
                   help="pause after each acknowledged write, s (default 0.01: ~100 writes/s at most)")

    p = sub.add_parser("read", help="sync, then list the seqs under --prefix")
    common(p)
    prefix(p)

    args = parser.parse_args(argv)
    if hasattr(args, "prefix") and (not args.prefix.startswith("/") or args.prefix.endswith("/")):
        parser.error("--prefix must be an absolute znode path without a trailing slash")
    if (args.sasl_user is None) != (args.sasl_password is None):
        parser.error("--sasl-user and --sasl-password go together")
    if (args.certfile or args.keyfile) and not args.ca:
        parser.error("--certfile and --keyfile need --ca")
    if getattr(args, "count", 1) < 0 or getattr(args, "duration", 1) <= 0:
        parser.error("--count must be >= 0 and --duration > 0")
    return args


def default_deadline(args):
    """A bound for the whole process, so that no hang outlives the harness's patience."""
    work = {"write": getattr(args, "timeout", 0), "write-loop": getattr(args, "duration", 0)}.get(args.command, args.op_timeout)
    return args.connect_timeout + work + 3 * args.op_timeout + 5


def main(argv):
    args = parse_args(argv)
    # kazoo logs connection trouble at WARNING; that is useful on stderr, its INFO chatter is not.
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="zk-client: kazoo %(levelname)s %(message)s")

    deadline = args.deadline if args.deadline is not None else default_deadline(args)

    def expire(signum, frame):
        note("%s did not finish within its %.0f s deadline" % (args.command, deadline))
        sys.stdout.flush()
        os._exit(1)  # kazoo's threads must not keep a timed-out process alive

    signal.signal(signal.SIGALRM, expire)
    signal.alarm(max(1, int(deadline + 0.999)))
    {"ping": cmd_ping, "write": cmd_write, "write-loop": cmd_write_loop, "read": cmd_read}[args.command](args)


if __name__ == "__main__":
    main(sys.argv[1:])
