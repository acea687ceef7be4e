"""The recovery lab's System view: opened with the keyboard, watching moderation die and
come back (its backlog growing and draining, a comment's timeline filling in), and what it
says when its own source, query, is gone."""

import re

from browser_kit import CheckFailed, http_answer, wait_until
from page_kit import ENTER
from scenarios.world import WHILE_MODERATION_DOWN, WHILE_NODE_DOWN, World


def the_system_view_opens_with_the_keyboard_and_shows_every_service_up(w: World):
    """the System view opens with the keyboard and shows the four services up"""
    # The step before reloaded the page; from here on, again, nothing may reload it.
    w.page.mark_no_reload()
    # Still at the phone's width from the step before: the view must work there too.
    w.page.show("system")
    now = w.page.system()
    assert now["hash"] == "#system" and not now["postsShown"], f"hash {now['hash']!r}"
    assert now["focused"] == "system-heading", f"the focus is on {now['focused']!r}, not the view's heading"
    services = wait_until("all four services up", w.page.every_service("up"), 15)
    assert all(services[n]["instances"] >= 1 for n in services), f"instance counts: {services}"
    wait_until("the streams and moderation's consumer",
               lambda: "COMMENTS/moderation" in w.page.system()["consumers"] and len(w.page.system()["streams"]) >= 4,
               10)
    nodes = wait_until("the broker's three nodes, up",
                       lambda: (n := w.page.system()["nodes"]) and len(n) == 3 and all(n.values()) and n, 20)
    assert sorted(nodes) == ["nats-1", "nats-2", "nats-3"], f"the nodes shown: {nodes}"
    wide = w.page.sticks_out_sideways()
    assert not wide, f"the System view scrolls sideways at a phone's width: {wide}"
    w.browser.screenshot(w.output / "system-view-phone.png")
    w.browser.resize(1280, 1000)
    now = w.page.system()
    shown = ", ".join(f"{n} {v['state']} ({v['instances']})" for n, v in now["services"].items())
    print(f"     services: {shown}")
    print(f"     streams: {now['streams']}")
    print(f"     nodes: {now['nodes']}")
    w.page.no_reload()


def a_killed_moderation_is_shown_down(w: World):
    """with moderation killed by the console's Kill button (SIGKILL) the System view shows it down"""
    wait_until("the console's moderation row, running",
               lambda: w.page.console()["processes"].get("moderation", {}).get("kill"), 10)
    w.browser.click('li.process[data-process="moderation"] button.kill')  # SIGKILL: a crash
    wait_until("the console's moderation row, stopped",
               lambda: w.page.console()["processes"]["moderation"]["start"], 10)
    wait_until("moderation shown down", lambda: w.page.system()["services"]["moderation"]["state"] == "down", 15)
    others = w.page.system()["services"]
    assert all(others[n]["state"] == "up" for n in ("posts", "comments", "query")), f"services: {others}"


def a_comment_written_meanwhile_waits_in_the_backlog(w: World):
    """a comment written meanwhile waits in COMMENTS/moderation's pending count"""
    w.page.show("posts")
    post = w.page.the_post()
    before = {c["id"] for c in post["comments"]}
    w.page.comment_on(post["id"], WHILE_MODERATION_DOWN + "\n")

    def new_comment():
        return next((c for c in w.page.the_post()["comments"] if c["id"] not in before and c["status"] == "pending"),
                    None)
    comment = wait_until("the new comment, pending", new_comment, 10)
    w.waiting_comment = comment["id"]
    # Open its timeline now, with the keyboard; it must fill in by itself later.
    w.browser.type(f'li.comment[data-comment-id="{comment["id"]}"] button.timeline-toggle', ENTER)
    try:
        timeline = wait_until("the pending comment's timeline: CommentCreated only",
                              lambda: (t := w.page.timeline(comment["id"])) and t["types"] == ["CommentCreated"] and t,
                              15)
    except CheckFailed as failed:
        # What the panel showed and what query answers: tells a page that stopped asking
        # from a query that never read the comment.
        answer = http_answer(f"{w.system.urls['query']}/comments/{comment['id']}/timeline")
        raise CheckFailed(f"{failed}; the panel: {w.page.timeline(comment['id'])!r}; "
                          f"query's GET /comments/{{id}}/timeline now: {answer}") from None
    assert timeline["expanded"] == "true", f"aria-expanded is {timeline['expanded']!r}"
    w.page.show("system")

    def backlog():
        now = w.page.system()
        pending = now["consumers"].get("COMMENTS/moderation", {}).get("pending", 0)
        return pending >= 1 and now
    now = wait_until("COMMENTS/moderation pending >= 1", backlog, 15)
    moderation = now["services"]["moderation"]
    assert moderation["backlog"] and moderation["backlog"] >= 1, f"moderation's card: {moderation}"
    print(f"     COMMENTS/moderation: {now['consumers']['COMMENTS/moderation']}; moderation's card: {moderation['text']!r}")
    w.browser.full_screenshot(w.output / "system-moderation-down.png")


def moderation_back_drains_the_backlog_and_approves_the_comment(w: World):
    """with moderation started by the console's Start button it is up, the backlog drains to 0 and the comment is approved"""
    w.page.show("system")
    w.browser.click('li.process[data-process="moderation"] button.start')

    def drained():
        now = w.page.system()
        consumer = now["consumers"].get("COMMENTS/moderation", {})
        return (now["services"]["moderation"]["state"] == "up" and consumer.get("pending") == 0
                and consumer.get("ackPending") == 0 and now)
    now = wait_until("moderation up and its backlog drained to 0", drained, 60)
    print(f"     COMMENTS/moderation: {now['consumers']['COMMENTS/moderation']}")
    w.page.show("posts")
    wait_until("the waiting comment approved", lambda: any(
        c["id"] == w.waiting_comment and c["status"] == "approved" and c["text"] == WHILE_MODERATION_DOWN
        for c in w.page.the_post()["comments"]), 30)
    w.page.no_reload()


def the_open_timeline_fills_in_by_itself(w: World):
    """the comment's open timeline fills in by itself: CommentCreated → CommentModerated → CommentUpdated"""
    chain = ["CommentCreated", "CommentModerated", "CommentUpdated"]

    def whole():
        t = w.page.timeline(w.waiting_comment)
        return t and t["types"] == chain and t
    timeline = wait_until("the open timeline to show the whole chain", whole, 20)
    assert timeline["sources"] == ["comments", "moderation", "comments"], f"sources: {timeline['sources']}"
    assert re.fullmatch(r"CommentCreated → CommentModerated \+\S+ \S+( \S+ \S+)? → CommentUpdated \+\S+ \S+( \S+ \S+)?",
                        timeline["summary"] or ""), f"summary: {timeline['summary']!r}"
    assert re.fullmatch(r"[0-9a-f-]{36}", timeline["correlation"] or ""), f"correlation id: {timeline['correlation']!r}"
    print(f"     timeline: {timeline['summary']}  (correlation id {timeline['correlation']})")
    w.browser.js("document.querySelector(`li.comment[data-comment-id='${arguments[0]}']`).scrollIntoView({block: 'center'})",
                 w.waiting_comment)
    w.browser.screenshot(w.output / "posts-timeline.png")


def a_killed_broker_node_is_shown_down_while_the_blog_goes_on(w: World):
    """with a broker node killed the System view shows it down, a comment is still approved, and the node comes back"""
    w.page.show("system")
    w.system.procs.kill("nats-2")  # SIGKILL: a crashed broker node; its two peers keep a quorum
    # The node's peers keep calling it current for a while after it died: up to ~30 s here.
    nodes = wait_until("nats-2 shown down, the other two up",
                       lambda: (n := w.page.system()["nodes"]) and n.get("nats-2") is False
                       and n.get("nats-1") and n.get("nats-3") and n, 60)
    print(f"     nodes with nats-2 killed: {nodes}")
    w.browser.full_screenshot(w.output / "system-node-down.png")
    w.page.show("posts")
    post = w.page.the_post()
    w.page.comment_on(post["id"], WHILE_NODE_DOWN + "\n")
    wait_until("the comment written with a node down, approved", lambda: any(
        c["text"] == WHILE_NODE_DOWN and c["status"] == "approved" for c in w.page.the_post()["comments"]), 30)
    w.system.start_node("nats-2")
    w.page.show("system")
    wait_until("nats-2 up again", lambda: (n := w.page.system()["nodes"]) and len(n) == 3 and all(n.values()), 60)
    w.page.no_reload()


def without_query_the_system_view_says_what_it_cannot_know(w: World):
    """with query killed the System view says what it cannot know, and recovers with query"""
    w.page.show("system")
    w.system.procs.kill("query")  # SIGKILL: the view's own source is gone

    def honest():
        now = w.page.system()
        services = now["services"]
        others = all(services[n]["state"] == "unknown" for n in ("posts", "comments", "moderation"))
        return now["banner"] and services["query"]["state"] == "down" and others and now
    now = wait_until("query down, the others unknown, and a banner", honest, 15)
    assert "cannot be reached" in now["banner"], f"the banner reads {now['banner']!r}"
    assert all(v["instances"] is None for v in now["services"].values()), \
        f"stale instance counts shown as current: {now['services']}"
    w.system.start_service("query")
    wait_until("every service up again and the banner gone",
               lambda: w.page.every_service("up")() and w.page.system()["banner"] is None, 60)
    w.page.no_reload()
