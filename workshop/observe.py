"""The checks of the observe exercises: each reads the running system's state through query
(`QUERY_URL`, default http://127.0.0.1:4002) and judges what happened since the attempt
started. A learner cannot pass them without doing the exercise: they look for the traces
it leaves in the streams (timelines, dead letters), not for answers to questions.
"""

import json
import os
import re
import urllib.error
import urllib.request
from datetime import datetime

QUERY = os.environ.get("QUERY_URL", "http://127.0.0.1:4002")


class Point:
    def __init__(self, name, passed, why=""):
        self.name, self.passed, self.why = name, passed, why


def get(path):
    """query's JSON answer to `path`, or None if it cannot be had."""
    try:
        with urllib.request.urlopen(QUERY + path, timeout=5) as answer:
            return json.loads(answer.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def epoch(rfc3339):
    """Seconds since the epoch of an RFC 3339 time (`…Z`, with up to nanoseconds)."""
    text = re.sub(r"(\.\d{6})\d+", r"\1", rfc3339.replace("Z", "+00:00"))
    return datetime.fromisoformat(text).timestamp()


def comments_since(since):
    """Every comment created since `since`, with its timeline: [(comment, timeline)]."""
    found = []
    for post in get("/posts") or []:
        for comment in post.get("comments", []):
            timeline = get(f"/comments/{comment['id']}/timeline") or {}
            events = timeline.get("events", [])
            if events and epoch(events[0]["time"]) >= since:
                found.append((comment, timeline))
    return found


def running():
    healthy = get("/health")
    return Point("the system is running (query answers)", bool(healthy),
                 "" if healthy else f"nothing answers at {QUERY}: start it with `make run`")


def moderation_caught_up(name="moderation is up again and has nothing left to do"):
    system = get("/system") or {}
    up = any(s["name"] == "moderation" and s["up"] for s in system.get("services", []))
    backlog = [c for s in system.get("streams", []) for c in s.get("consumers", [])
               if c["name"].startswith("moderation")]
    idle = all(c["pending"] == 0 and c["ackPending"] == 0 for c in backlog)
    why = "" if up and idle else (
        "moderation is not up: `make start SERVICE=moderation`" if not up
        else "moderation still has comments to moderate: wait a moment and check again")
    return Point(name, up and idle, why)


def once_each(timeline):
    types = [e["type"] for e in timeline.get("events", [])]
    return types.count("CommentModerated") == 1 and types.count("CommentUpdated") == 1


def check_missing_events(since):
    """01: a comment written while moderation was down waited, then was moderated once."""
    points = [running()]
    if not points[0].passed:
        return points
    comments = comments_since(since)
    waited = [(c, t) for c, t in comments
              if any(e["type"] == "CommentModerated" and (e.get("sincePreviousMs") or 0) >= 3000
                     for e in t["events"])]
    longest = max((max(e.get("sincePreviousMs") or 0 for e in t["events"]) for _, t in waited),
                  default=0)
    points.append(Point(
        "a comment written while moderation was down waited for it", bool(waited),
        f"{longest / 1000:.0f} s" if waited else
        "no comment since the attempt started waited 3 s or more between its creation and "
        "its moderation: kill moderation, write comments, wait, then start it again"))
    pending = [c for c, _ in comments if c["status"] == "pending"]
    twice = [c for c, t in comments if c["status"] != "pending" and not once_each(t)]
    points.append(Point(
        "every comment of the attempt was moderated, exactly once", bool(comments)
        and not pending and not twice,
        f"{len(pending)} still pending, {len(twice)} moderated other than once"
        if comments else "no comment was written since the attempt started"))
    points.append(moderation_caught_up())
    return points


def check_retries_and_dead_letters(since):
    """07: moderation failed a comment until it was dead-lettered; the letter was retried
    and the comment healed."""
    points = [running()]
    if not points[0].passed:
        return points
    system = get("/system") or {}
    letters = [l for l in system.get("deadLetters", [])
               if l["consumer"].startswith("moderation") and epoch(l["time"]) >= since]
    given_up = [l for l in letters if l["cause"] == "maxDeliveries" and l["deliveries"] >= 2]
    points.append(Point(
        "moderation retried a comment with backoff, then gave up on it (a dead letter)",
        bool(given_up),
        "" if given_up else "no dead letter from moderation since the attempt started: start "
        "moderation with MODERATION_FAIL_FIRST=9 and write a comment"))
    retried = [l for l in given_up if l.get("retried")]
    points.append(Point(
        "the dead letter was retried", bool(retried),
        "" if retried else "retry it from the System view (or wait for the automatic retry)"))
    healed = []
    for letter in retried:
        comment_id = (letter.get("subject") or "").rsplit(".", 1)[-1]
        timeline = get(f"/comments/{comment_id}/timeline") or {}
        if once_each(timeline):
            healed.append(comment_id)
    points.append(Point(
        "its comment was then moderated, exactly once", bool(healed),
        "" if healed else "the retried comment is still pending: is moderation running "
        "without MODERATION_FAIL_FIRST now?"))
    points.append(moderation_caught_up())
    return points


def node_restarted_since(since):
    """The first cluster node (monitoring on 8222-8224) whose server started after `since`:
    it was killed or stopped, then started again, during the attempt."""
    for n, port in enumerate(range(8222, 8225), start=1):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/varz", timeout=2) as answer:
                varz = json.loads(answer.read())
        except (urllib.error.URLError, OSError, ValueError):
            continue
        if varz.get("cluster", {}).get("name") and epoch(varz.get("start", "1970-01-01T00:00:00Z")) >= since:
            return varz.get("server_name") or f"nats-{n}"
    return None


def check_scale_out(since):
    """08: on a cluster, moderation scaled to three, one instance and one node killed while
    comments were written: every comment of the attempt moderated exactly once, and two
    query instances that agree."""
    points = [running()]
    if not points[0].passed:
        return points
    system = get("/system") or {}
    nodes = system.get("nodes", [])
    points.append(Point(
        "the broker is a cluster of three nodes, all up now", len(nodes) == 3
        and all(n["up"] for n in nodes),
        f"/system sees {len(nodes)} node(s): run `make run CLUSTER=3` (and start any node "
        "you killed again)" if len(nodes) != 3 else "a node is still down: `make start SERVICE=nats-N`"))
    moderation = next((s for s in system.get("services", []) if s["name"] == "moderation"), {})
    points.append(Point(
        "moderation runs as three instances or more", moderation.get("instances", 0) >= 3,
        f"{moderation.get('instances', 0)} instance(s) answer: `make scale SERVICE=moderation N=3`"))
    restarted = node_restarted_since(since)
    points.append(Point(
        "a node was killed and started again during the attempt", bool(restarted),
        "no node started since the attempt began: `make kill SERVICE=nats-2`, write, then "
        "`make start SERVICE=nats-2`"))
    comments = comments_since(since)
    pending = [c for c, _ in comments if c["status"] == "pending"]
    twice = [c for c, t in comments if c["status"] != "pending" and not once_each(t)]
    points.append(Point(
        "every comment of the attempt was moderated, exactly once",
        len(comments) >= 3 and not pending and not twice,
        f"{len(comments)} comment(s) since the attempt started (write at least 3), "
        f"{len(pending)} still pending, {len(twice)} moderated other than once"))
    second = os.environ.get("QUERY_2_URL", "http://127.0.0.1:4012")
    try:
        with urllib.request.urlopen(second + "/posts", timeout=5) as answer:
            theirs = json.loads(answer.read())
    except (urllib.error.URLError, OSError, ValueError):
        theirs = None
    ours = get("/posts")
    points.append(Point(
        "a second query instance shows exactly the same posts", theirs is not None and theirs == ours,
        "no second query answers on :4012: `make scale SERVICE=query N=2`" if theirs is None
        else "the two query instances differ: wait a moment (one may still be catching up)"))
    return points


CHECKS = {
    "01": check_missing_events,
    "07": check_retries_and_dead_letters,
    "08": check_scale_out,
}
