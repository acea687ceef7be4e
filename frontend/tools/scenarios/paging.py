"""Pages: the page opens with the newest posts, each with its newest comments, and reads
older posts and older comments only when asked; a live change keeps what was read."""

import json
import urllib.request

from browser_kit import wait_until
from scenarios.world import World

# What query sends first (the web client asks for pages of 20), and each post's comments
# on a page.
PAGE = 20
NEWEST_COMMENTS = 20

BUTTONS = """
const older = document.querySelector('button.older-posts');
return {
  posts: Array.from(document.querySelectorAll('article.post')).map(a => a.dataset.postId),
  olderPosts: older ? older.innerText : null,
  olderComments: Object.fromEntries(Array.from(document.querySelectorAll('article.post'))
    .map(a => [a.dataset.postId, (a.querySelector('button.older-comments') || {}).innerText || null])),
};
"""


def write(url: str, body: dict, key: str) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json", "idempotency-key": key})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def older_posts_and_comments_load_on_demand(w: World):
    """with more posts than a page and a post of more comments than it shows, older posts and comments load on demand, and a live change keeps them"""
    w.page.show("posts")
    posts, comments = w.system.urls["posts"], w.system.urls["comments"]
    busy = write(f"{posts}/posts", {"title": "A busy post"}, "paging-busy")["id"]
    written = [write(f"{comments}/posts/{busy}/comments", {"content": f"comment {n}"}, f"paging-c{n}")["id"]
               for n in range(NEWEST_COMMENTS + 5)]
    newer = [write(f"{posts}/posts", {"title": f"Paged post {n}"}, f"paging-p{n}")["id"] for n in range(PAGE)]

    # Posts that arrive while the page is open are added to it live; a fresh load starts
    # from the first page.
    w.browser.go(w.system.origin)

    def first_page():
        now = w.browser.js(BUTTONS)
        return now["posts"][:1] == [newer[-1]] and len(now["posts"]) == PAGE and now["olderPosts"] and now
    now = wait_until("the newest 20 posts and a Show older posts button", first_page, 20)
    assert busy not in now["posts"], "the busy post is older than the first page"
    assert now["posts"] == list(reversed(newer)), "newest first"

    w.browser.click("button.older-posts")
    now = wait_until("the older posts shown, and no more button",
                     lambda: (n := w.browser.js(BUTTONS)) and busy in n["posts"] and not n["olderPosts"] and n, 10)
    print(f"     posts shown after Show older posts: {len(now['posts'])}")
    assert now["olderComments"][busy] == "Show older comments (5 more)", f"button: {now['olderComments'][busy]!r}"

    def shown_comments():
        post = next((p for p in w.page.state()["posts"] if p["id"] == busy), None)
        return [c["id"] for c in post["comments"]] if post else []
    assert shown_comments() == written[-NEWEST_COMMENTS:], "the newest 20 comments, oldest first"
    w.browser.click(f'article.post[data-post-id="{busy}"] button.older-comments')
    wait_until("all 25 comments, and no more button",
               lambda: shown_comments() == written and not w.browser.js(BUTTONS)["olderComments"][busy], 10)

    # A comment written elsewhere arrives live; the older comments read stay.
    late = write(f"{comments}/posts/{busy}/comments", {"content": "a late comment"}, "paging-late")["id"]
    wait_until("the late comment shown after all 25", lambda: shown_comments() == written + [late], 10)
    w.browser.js("document.querySelector(`article.post[data-post-id='${arguments[0]}']`).scrollIntoView()", busy)
    w.browser.screenshot(w.output / "posts-older-pages.png")
