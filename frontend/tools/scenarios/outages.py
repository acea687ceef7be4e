"""A service down while the learner uses the page: the write side (comments) and the read
side (query), and each coming back."""

import re

from browser_kit import wait_until
from scenarios.world import DURING_QUERY_OUTAGE, LIKED, REJECTED_TEXT, TITLE, World

UUID_V4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


def comments_down_keeps_the_text_and_a_retry_reuses_its_key(w: World):
    """with comments down the form explains and keeps the text; a retry sends the same key and writes once"""
    post = w.page.the_post()
    w.system.procs.kill("comments")
    typed = "Typed while comments is down"
    w.page.comment_on(post["id"], typed + "\n")
    error = wait_until("an error under the comment form", lambda: w.page.the_post()["error"], 10)
    assert "comments service" in error, f"error reads {error!r}"
    assert w.page.the_post()["input"] == typed, f"the box holds {w.page.the_post()['input']!r}"
    print(f"     error shown: {error!r}")
    w.system.start_service("comments")
    w.system.healthy("comments")
    w.browser.click(f'article[data-post-id="{post["id"]}"] button[type=submit]')
    wait_until("the retried comment to be accepted",
               lambda: any(c["text"] == typed for c in w.page.the_post()["comments"]) and not w.page.the_post()["error"],
               30)
    shown = [c["text"] for c in w.page.the_post()["comments"]].count(typed)
    assert shown == 1, f"the retried comment shows {shown} times"
    writes = w.page.writes()
    keys = [write["key"] for write in writes]
    assert all(re.fullmatch(UUID_V4, k or "") for k in keys), f"not a uuid v4 on every write: {writes}"
    # post, comment, comment, failed comment, its retry: the retry reuses its key.
    assert len(writes) == 5 and keys[3] == keys[4], f"the retry did not reuse its key: {writes}"
    assert len(set(keys[:4])) == 4, f"two submits shared a key: {writes}"
    print(f"     Idempotency-Key of the failed submit and of its retry: {keys[3]}")
    w.page.no_reload()


def query_down_shows_the_banner_and_keeps_the_posts(w: World):
    """with query killed the banner appears and the posts stay"""
    w.system.procs.kill("query")  # SIGKILL: a crash
    banner = wait_until("the read-side banner", lambda: w.page.state()["banner"], 15)
    assert "read side is unavailable" in banner.lower(), f"banner reads {banner!r}"
    post = w.page.the_post()
    assert post and post["title"] == TITLE, "the posts went away with query"
    w.page.comment_on(post["id"], DURING_QUERY_OUTAGE + "\n")
    wait_until("the comment written during the outage to show as pending",
               lambda: len(w.page.the_post()["comments"]) == 4
               and [c["status"] for c in w.page.the_post()["comments"]].count("pending") == 1, 10)
    w.browser.screenshot(w.output / "query-down.png")
    w.page.no_reload()


def query_back_makes_the_page_current_without_a_reload(w: World):
    """with query back the banner goes and the page is current, without a reload"""
    w.system.start_service("query")
    wait_until("the banner to go",
               lambda: w.page.state()["banner"] is None and w.page.state()["status"] == "Live", 60)

    def current():
        texts = [c["text"] for c in w.page.the_post()["comments"]]
        return DURING_QUERY_OUTAGE in texts and LIKED in texts and REJECTED_TEXT in texts and texts
    texts = wait_until("the page to show every post and comment again", current, 30)
    w.page.no_reload()
    print(f"     comments shown: {texts}")
    w.browser.screenshot(w.output / "browser-test.png")
