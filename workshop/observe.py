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


CHECKS = {
    "01": check_missing_events,
    "07": check_retries_and_dead_letters,
}
