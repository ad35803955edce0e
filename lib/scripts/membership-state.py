#!/usr/bin/env python3
"""What the dynamic-membership scripts need to know, printed for bash to read (stdlib only).

  membership-state.py replicas
      The desired number of voters: spec.replicas of this member's StatefulSet, read from the
      Kubernetes API with the pod's service-account token (GET, which the members' Role allows).
      Environment: ZK_NAMESPACE, ZK_STATEFULSET, KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT
      (set by the kubelet); ZK_SERVICE_ACCOUNT_DIR (tests only; default the mounted account).
  membership-state.py local ADMIN_PORT
      This server as its AdminServer on 127.0.0.1 reports it, one line:
      `<voting true|false> <zabstate> <leads true|false> <voter ids, comma-separated>`.

Exit code 1 with a reason on stderr when the answer cannot be had (the API or the server does not
answer): the callers then do nothing and ask again later.
"""
import json
import os
import ssl
import sys
import urllib.request

ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount'
TIMEOUT_SECONDS = 5


def replicas():
    account = os.environ.get('ZK_SERVICE_ACCOUNT_DIR') or ACCOUNT_DIR
    host = os.environ['KUBERNETES_SERVICE_HOST']
    if ':' in host:
        host = f'[{host}]'
    url = (f"https://{host}:{os.environ.get('KUBERNETES_SERVICE_PORT', '443')}/apis/apps/v1/namespaces/"
           f"{os.environ['ZK_NAMESPACE']}/statefulsets/{os.environ['ZK_STATEFULSET']}")
    with open(os.path.join(account, 'token'), encoding='utf-8') as f:
        token = f.read().strip()
    context = ssl.create_default_context(cafile=os.path.join(account, 'ca.crt'))
    request = urllib.request.Request(url, headers={'Authorization': f'Bearer {token}', 'Accept': 'application/json'})
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS, context=context) as response:
        spec = json.load(response).get('spec', {})
    # The API server defaults an omitted replicas to 1.
    return str(int(spec.get('replicas', 1)))


def admin(port, command):
    with urllib.request.urlopen(f'http://127.0.0.1:{port}/commands/{command}', timeout=TIMEOUT_SECONDS) as response:
        return json.load(response)


def local(port):
    zab = admin(port, 'zabstate')
    voters = sorted(int(sid) for sid in (admin(port, 'voting_view').get('current_config') or {}))
    return ' '.join([str(bool(zab.get('voting'))).lower(), (zab.get('zabstate') or 'election').lower(),
                     str(bool(zab.get('is_leader'))).lower(), ','.join(map(str, voters)) or '-'])


def main(argv):
    try:
        if argv[1:] == ['replicas']:
            print(replicas())
        elif len(argv) == 3 and argv[1] == 'local':
            print(local(argv[2]))
        else:
            print(f'usage: {argv[0]} replicas | local ADMIN_PORT', file=sys.stderr)
            return 2
    except (OSError, ValueError, KeyError) as error:
        # OSError covers URLError, HTTPError, timeouts and TLS failures; never prints the token.
        print(f'membership-state: {argv[1]}: {type(error).__name__}: {error}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
