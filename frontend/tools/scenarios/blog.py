"""The blog itself: the page comes up live, a post and comments written through it, the
moderation decisions arriving without a reload, and a fresh load showing the same."""

from browser_kit import CheckFailed, http_answer, wait_until
from scenarios.world import LIKED, ORANGE, REJECTED_TEXT, TITLE, World


def the_page_loads_and_goes_live(w: World):
    """the page loads, connects to query and shows the (empty) list"""
    w.browser.go(w.system.origin)
    wait_until("the page to go live", lambda: w.page.state()["status"] == "Live", 30)
    shown = w.page.posts_shown_ms()
    print(f"     page load (navigation start) -> posts list shown: {shown:.0f} ms (cold cache, empty list)")
    # Survives only if the page is never reloaded: checked at every later step.
    w.page.mark_no_reload()
    w.page.record_writes()


def a_post_and_two_comments_are_written_through_the_page(w: World):
    """a post and two comments are created through the page"""
    w.browser.type("#post-title", TITLE + "\n")  # Enter submits: keyboard use
    post = wait_until("the new post on the page", w.page.the_post, 10)
    assert post["title"] == TITLE, f"title shown as {post['title']!r}"
    wait_until("the title box to be cleared",
               lambda: w.browser.js("return document.getElementById('post-title').value") == "", 5)
    w.page.comment_on(post["id"], LIKED)
    w.browser.click(f'article[data-post-id="{post["id"]}"] button[type=submit]')
    wait_until("the first comment to show at once",
               lambda: len(w.page.the_post()["comments"]) == 1 and w.page.the_post()["input"] == "", 5, 0.02)
    w.page.comment_on(post["id"], ORANGE + "\n")
    wait_until("the second comment to show", lambda: len(w.page.the_post()["comments"]) == 2, 5, 0.02)
    w.page.no_reload()


def moderation_decisions_arrive_live_and_user_text_stays_text(w: World):
    """moderation decisions appear without a reload; user text stays text"""
    def decided():
        texts = [c["text"] for c in w.page.the_post()["comments"]]
        return LIKED in texts and REJECTED_TEXT in texts and texts
    try:
        texts = wait_until("one approved comment and one rejected", decided, 30)
    except CheckFailed as failed:
        # What the page shows beside what query answers: tells a page that missed an event
        # from a query that never read the decisions.
        post = w.page.the_post()
        answer = http_answer(f"{w.system.urls['query']}/posts/{post['id']}?limit=20") if post else "-"
        raise CheckFailed(f"{failed}; the page: {post!r}, link {w.page.state()['status']!r}; "
                          f"query's GET /posts/{{id}}?limit=20 now: {answer}") from None
    page_text = w.browser.js("return document.body.innerText")
    assert ORANGE not in page_text, "the rejected comment's text is on the page"
    assert w.browser.js("return document.querySelectorAll('article.post b, li.comment script').length") == 0, \
        "user text was rendered as HTML"
    w.page.no_reload()
    print(f"     comments shown: {texts}")


def a_fresh_load_shows_the_same_and_fits_a_phone(w: World):
    """a fresh load shows the same state, and fits a phone's width"""
    for cache in ("cold", "warm"):
        times = []
        for _ in range(3):
            if cache == "cold":
                w.browser.clear_cache()
            w.browser.go(w.system.origin)
            wait_until("the post after a reload",
                       lambda: w.page.the_post() and len(w.page.the_post()["comments"]) == 4, 30)
            times.append(w.page.posts_shown_ms())
        times.sort()
        print(f"     page load (navigation start) -> posts shown, {cache} cache: median {times[1]:.0f} ms "
              f"of {', '.join(f'{t:.0f}' for t in times)} (1 post, 4 comments)")
    w.browser.screenshot(w.output / "browser-test.png")
    w.browser.resize(390, 844)  # a phone's width, for a look at the narrow layout
    wide = w.browser.js("return document.documentElement.scrollWidth > window.innerWidth")
    assert not wide, "the page scrolls sideways at a phone's width"
    w.browser.screenshot(w.output / "browser-test-phone.png")
