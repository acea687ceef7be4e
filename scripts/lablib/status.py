"""`make status`: each process's pid and health, what query's `/system` sees, and every
stream's and consumer's figures from nats-server's monitoring port."""

import json
import urllib.error
import urllib.request

from lablib import settings
from lablib.processes import pid_of


def fetch_json(url, timeout=1.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        try:
            return error.code, json.loads(error.read() or b"null")
        except ValueError:
            return error.code, None
    except (OSError, ValueError):
        return None, None


def http_status(url):
    try:
        with urllib.request.urlopen(url, timeout=1.0) as answer:
            return answer.status
    except (OSError, ValueError):
        return None


def status():
    print(f"{'process':<13} {'pid':>7}  health")
    table = settings.table()
    monitors = []
    for name in settings.available():
        pid = pid_of(name)
        health = "-"
        if name.split("-")[0] in settings.SCALABLE:
            code, body = fetch_json(f"http://127.0.0.1:{table[name]['port']}/health")
            health = f"{code} {body.get('status')}" if isinstance(body, dict) else "no answer"
        elif name.startswith("nats"):
            monitor = f"http://127.0.0.1:{table[name]['monitor']}"
            code, _ = fetch_json(f"{monitor}/healthz")
            health = "200 ok" if code == 200 else "no answer"
            if code == 200:
                monitors.append(monitor)
        elif name == "frontend":
            health = "200 ok" if http_status("http://127.0.0.1:3000/") == 200 else "no answer"
        print(f"{name:<13} {pid or 'down':>7}  {health}")
    print_system_view()
    print_cluster(monitors)
    # Any node that answers knows every stream's figures.
    code, jsz = fetch_json(f"{monitors[0] if monitors else settings.MONITOR}/jsz?consumers=true")
    if code != 200:
        print("\nnats-server is not answering, so there are no stream figures.")
        return
    print(f"\n{'stream':<11} {'messages':>9}  {'consumer':<12} {'pending':>8} {'ack pending':>12} "
          f"{'redelivered':>12}")
    order = {"POSTS": 0, "COMMENTS": 1, "MODERATION": 2}
    for account in jsz.get("account_details", []):
        streams = sorted(account.get("stream_detail", []), key=lambda s: order.get(s["name"], 9))
        for stream in streams:
            messages = stream.get("state", {}).get("messages", 0)
            consumers = stream.get("consumer_detail") or [None]
            for consumer in consumers:
                if consumer is None:
                    print(f"{stream['name']:<11} {messages:>9}  {'(none)':<12}")
                    continue
                print(f"{stream['name']:<11} {messages:>9}  {consumer['name']:<12} "
                      f"{consumer.get('num_pending', 0):>8} {consumer.get('num_ack_pending', 0):>12} "
                      f"{consumer.get('num_redelivered', 0):>12}")


def print_cluster(monitors):
    """In a cluster: the meta leader (from a node), the nodes and each stream's leader and
    replicas (from query's `/system`, which asks each stream's leader)."""
    if settings.cluster_size() == 1 or not monitors:
        return
    code, jsz = fetch_json(f"{monitors[0]}/jsz")
    meta = ((jsz or {}).get("meta_cluster") or {}).get("leader") if code == 200 else None
    print(f"\ncluster: meta leader {meta or 'none (electing)'}")
    code, system = fetch_json("http://127.0.0.1:4002/system", timeout=2.0)
    if code != 200 or not isinstance(system, dict):
        return
    nodes = ", ".join(f"{n['name']} {'up' if n['up'] else 'DOWN'}" for n in system.get("nodes", []))
    print(f"nodes: {nodes}")
    for stream in system.get("streams", []):
        cluster = stream.get("cluster") or {}
        replicas = ", ".join(f"{r['name']} ({'current' if r.get('current') else 'behind'})"
                             for r in cluster.get("replicas", []))
        print(f"  {stream['name']:<16} leader {cluster.get('leader') or '-'}; copies on {replicas}")


def print_system_view():
    """What query's `/system` says: services seen through the settings.NATS services API, dead letters."""
    code, system = fetch_json("http://127.0.0.1:4002/system", timeout=2.0)
    if code != 200 or not isinstance(system, dict):
        print("\n(query is down: no service discovery or dead-letter view)")
        return
    seen = ", ".join(f"{s['name']} {'x' + str(s['instances']) if s['up'] else 'DOWN'}"
                     for s in system.get("services", []))
    print(f"\nNATS services API: {seen}")
    letters = system.get("deadLetters", [])
    print(f"dead letters: {len(letters)}")
    for letter in letters[:10]:
        retried = " (retried)" if letter.get("retried") else ""
        print(f"  #{letter['id']} {letter['cause']} {letter['stream']}/{letter['consumer']} "
              f"seq {letter['streamSequence']} after {letter['deliveries']} deliveries: "
              f"{letter.get('error') or '-'}{retried}")
