"""The Streams page (issue 13): a stream's messages as a tape with each consumer's cursor on
it, so "pending 1" in the System view is one visible message after moderation's cursor; and
a timeline hop's link to its message."""

from browser_kit import wait_until
from page_kit import ENTER
from scenarios.world import WHILE_MODERATION_DOWN, World


def after_cursor(lines: list, consumer: str) -> list | None:
    """The message rows drawn after `consumer`'s cursor (None when it is not drawn)."""
    at = next((i for i, line in enumerate(lines) if line["kind"] == "cursor" and line["consumer"] == consumer), None)
    return None if at is None else [line for line in lines[at + 1:] if line["kind"] == "message"]


def the_waiting_comment_is_on_the_tape_after_moderations_cursor(w: World):
    """on the Streams page the comment written while moderation is down is a message after moderation's cursor, marked not acknowledged"""
    w.page.show("streams")

    def drawn():
        tape = w.page.streams()
        rows = after_cursor(tape["lines"], "moderation")
        waiting = [r for r in rows or [] if r["type"] == "CommentCreated" and WHILE_MODERATION_DOWN in r["summary"]]
        return tape["tab"] == "COMMENTS" and waiting and (tape, rows, waiting[0])
    tape, rows, row = wait_until("the waiting comment after moderation's cursor", drawn, 15)
    assert row["waiting"] and "moderation" in row["waitingText"], f"the row: {row}"
    pending_for_moderation = [r for r in rows if r["type"] == "CommentCreated"]
    assert all(r["waiting"] for r in pending_for_moderation), f"rows after the cursor: {rows}"
    cursor = next(line for line in tape["lines"] if line["kind"] == "cursor" and line["consumer"] == "moderation")
    print(f"     {tape['ends']}; {cursor['text']}; after it: "
          f"{[(r['seq'], r['type']) for r in rows]}")
    w.browser.full_screenshot(w.output / "streams-pending.png")


def the_tapes_cursor_reaches_the_end_once_moderation_is_back(w: World):
    """on the Streams page moderation's cursor moves past every created comment once it is back, and nothing waits for it"""
    w.page.show("streams")

    def caught_up():
        tape = w.page.streams()
        rows = after_cursor(tape["lines"], "moderation")
        return rows is not None and not any(r["type"] == "CommentCreated" for r in rows) \
            and not any("moderation" in r["waitingText"] for r in tape["lines"] if r["kind"] == "message") and tape
    tape = wait_until("moderation's cursor after the last created comment", caught_up, 30)
    cursor = next(line for line in tape["lines"] if line["kind"] == "cursor" and line["consumer"] == "moderation")
    print(f"     {cursor['text']}")


def a_timeline_hop_links_to_its_message_on_the_tape(w: World):
    """a hop of the open timeline links to its message: the MODERATION tape opens at it, the message open and focused"""
    w.page.show("posts")
    link = f'li.comment[data-comment-id="{w.waiting_comment}"] li.hop[data-type="CommentModerated"] a.hop-stored'
    href = w.browser.js("return document.querySelector(arguments[0]).getAttribute('href')", link)
    assert href and href.startswith("#streams/MODERATION/"), f"the hop's link: {href!r}"
    w.browser.type(link, ENTER)
    seq = int(href.rsplit("/", 1)[1])

    def opened():
        tape = w.page.streams()
        row = next((r for r in tape["lines"] if r["kind"] == "message" and r["seq"] == seq), None)
        return tape["shown"] and row and row["open"] and tape["focusedSeq"] == seq and (tape, row)
    tape, row = wait_until(f"MODERATION #{seq} open and focused", opened, 10)
    assert tape["tab"] == "MODERATION", f"the tab shown: {tape['tab']}"
    assert row["type"] == "CommentModerated" and w.waiting_comment in row["body"], f"the message: {row}"
    print(f"     {href} → {row['type']} #{seq}, its CloudEvent shown whole")
