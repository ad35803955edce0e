#!/usr/bin/env python3
"""A tree of znodes for the backup drill (e2e/scenario-backup.ts), run in the client container
with kazoo:

  tree.py write --hosts H:P[,...] --root /drill --count N [--seed S] [--data-bytes MIN-MAX]
      creates N znodes under ROOT in groups of 100, with binary data of varied length (0, 1, 16 or
      200 bytes; MIN to MAX bytes with --data-bytes) and, on some, ACLs
      that are not open: read-only for the world, or everything for an address block only. One
      group gets a read-only ACL after its children exist, so a restore must create children
      before it sets the parent's ACL. Prints {"created": N, "t": ...}.
  tree.py state --hosts H:P[,...]
      syncs, then walks every persistent znode outside /zookeeper in a fixed order and prints
      {"count": N, "sha256": H, "ephemerals": E}: H covers each znode's path, data and ACL, so two
      ensembles have the same H exactly when they hold the same tree. The reads are sent a level of
      the tree at a time, many in flight (one after another, 100,000 znodes took minutes).
"""

import argparse
import hashlib
import json
import random
import sys
import time

from kazoo.client import KazooClient
from kazoo.security import make_acl

READ_ONLY = [make_acl("world", "anyone", read=True)]
ADDRESS_BLOCK = [make_acl("ip", "10.0.0.0/8", all=True), make_acl("world", "anyone", read=True)]


def connect(hosts):
    client = KazooClient(hosts=hosts, timeout=30)
    client.start(timeout=60)
    return client


def data_sizes(rng, spec):
    """The length of each znode's data: the drill's mix, or uniform in MIN-MAX."""
    if spec is None:
        return lambda: rng.choice([0, 1, 16, 200])
    low, high = (int(n) for n in spec.split("-"))
    return lambda: rng.randint(low, high)


def write(client, root, count, seed, data_bytes=None):
    rng = random.Random(seed)
    size = data_sizes(rng, data_bytes)
    groups = max(1, count // 100)
    client.ensure_path(root)
    for g in range(groups):
        client.create("%s/g-%03d" % (root, g), b"group %d" % g)
    pending = []
    for i in range(count):
        data = bytes(rng.getrandbits(8) for _ in range(size()))
        acl = ADDRESS_BLOCK if i % 7 == 3 else READ_ONLY if i % 11 == 5 else None
        pending.append(client.create_async("%s/g-%03d/n-%06d" % (root, i % groups, i), data, acl=acl))
        if len(pending) >= 500:
            for p in pending:
                p.get(timeout=60)
            pending = []
    for p in pending:
        p.get(timeout=60)
    client.set_acls("%s/g-%03d" % (root, 0), READ_ONLY)
    print(json.dumps({"created": count, "groups": groups, "t": time.time()}), flush=True)


BATCH = 500


def read_level(client, paths):
    """Data, stat, ACL and children of every path, BATCH paths in flight at a time."""
    nodes = {}
    for start in range(0, len(paths), BATCH):
        batch = paths[start:start + BATCH]
        pending = [(p, client.get_async(p), client.get_acls_async(p), client.get_children_async(p)) for p in batch]
        for path, get, acls, children in pending:
            data, stat = get.get(timeout=60)
            nodes[path] = (data, stat, acls.get(timeout=60)[0], children.get(timeout=60))
    return nodes


def child_path(path, child):
    return "/" + child if path == "/" else path + "/" + child


def state(client):
    client.sync("/")
    nodes = {}
    level = ["/"]
    while level:
        read = read_level(client, level)
        nodes.update(read)
        level = [child_path(p, c) for p, (_, stat, _, children) in read.items() if stat.ephemeralOwner == 0
                 for c in children if child_path(p, c) != "/zookeeper"]
    digest = hashlib.sha256()
    count = ephemerals = 0
    stack = ["/"]
    while stack:
        path = stack.pop()
        data, stat, acls, children = nodes[path]
        if stat.ephemeralOwner != 0:
            ephemerals += 1
            continue
        acl_text = ",".join("%d:%s:%s" % (a.perms, a.id.scheme, a.id.id) for a in acls)
        digest.update(b"%s\t%s\t%s\n" % (path.encode(), data.hex().encode() if data is not None else b"-", acl_text.encode()))
        count += 1
        for child in sorted(children, reverse=True):
            if child_path(path, child) != "/zookeeper":
                stack.append(child_path(path, child))
    print(json.dumps({"count": count, "sha256": digest.hexdigest(), "ephemerals": ephemerals}), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["write", "state"])
    parser.add_argument("--hosts", required=True)
    parser.add_argument("--root", default="/drill")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--data-bytes", help="MIN-MAX: each znode's data length, uniform (default: the drill's mix)")
    args = parser.parse_args()
    client = connect(args.hosts)
    try:
        if args.command == "write":
            write(client, args.root, args.count, args.seed, args.data_bytes)
        else:
            state(client)
    finally:
        client.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
