"""Dead letters: moderation failing every attempt until its messages are given up on, what
the comments and the System view then say, and Retry / Retry all once the cause is gone."""

import re
import signal

from browser_kit import wait_until
from scenarios.world import MODERATED_AFTER_RETRIES, World


def failing_moderation_makes_dead_letters_that_say_so(w: World):
    """with every moderation attempt failing, comments become dead letters after 5 deliveries, and say so"""
    w.system.procs.kill("moderation", signal.SIGTERM)
    w.system.start_service("moderation", {"MODERATION_FAIL_FIRST": "5"})  # every delivery fails
    w.system.healthy("moderation")
    post = w.page.the_post()
    before = {c["id"] for c in post["comments"]}
    for text in MODERATED_AFTER_RETRIES:
        w.page.comment_on(post["id"], text + "\n")
        wait_until("the comment to show", lambda: any(c["text"] == "This comment is awaiting moderation"
                   and c["id"] not in before for c in w.page.the_post()["comments"]), 10)
        before |= {c["id"] for c in w.page.the_post()["comments"]}
    new = [c["id"] for c in w.page.the_post()["comments"] if c["status"] == "pending"]
    assert len(new) == 2, f"pending comments: {new}"

    # Five deliveries with backoff 0.25 s, 1 s, 2 s, 4 s between them: about 7 s.
    def gave_up():
        stuck = [c for c in w.page.the_post()["comments"] if c["id"] in new and c["gaveUp"]]
        return len(stuck) == 2 and stuck
    stuck = wait_until("both comments to say moderation gave up", gave_up, 40)
    for comment in stuck:
        assert re.fullmatch(r"Moderation gave up: [^.]*simulated failure[^.]*\. It is retried "
                            r"automatically \(attempt 1 of 1, next in [0-9]+ min [0-9]{2} s\)\.", comment["gaveUp"]), \
            f"it reads {comment['gaveUp']!r}"
    w.letter_comments = {c["gaveUpLetter"]: c["id"] for c in stuck}
    print(f"     under the comment: {stuck[0]['gaveUp']!r}")

    w.page.show("system")
    found = wait_until("two dead letters",
                       lambda: len(w.page.system()["deadLetters"]) == 2 and w.page.system()["deadLetters"], 10)
    for one in found:
        assert "COMMENTS / moderation" in one["text"] and "5 deliveries" in one["text"], f"it reads {one['text']!r}"
        assert one["button"] == "Retry" and not one["disabled"], f"its button: {one}"
        assert re.fullmatch(r"Retried automatically: attempt 1 of 1, next in [0-9]+ min [0-9]{2} s\.", one["redrive"] or ""), \
            f"its re-drive reads {one['redrive']!r}"
    assert set(w.letter_comments) == {one["id"] for one in found}, f"letters {found} vs comments {w.letter_comments}"
    retry_all = w.page.system()["retryAll"]
    assert retry_all == {"text": "Retry all (2)", "disabled": False}, f"Retry all: {retry_all}"
    w.older_letter = found[-1]["id"]  # newest first: the last is the older one
    print(f"     dead letter: {' | '.join(found[-1]['text'].splitlines()[:4])}")


def retry_and_retry_all_put_them_back_and_stay_disabled(w: World):
    """with the cause gone, Retry and Retry all put them back, the comments are approved, the buttons stay disabled"""
    w.system.procs.kill("moderation", signal.SIGTERM)  # the cause goes away: a fixed moderation
    w.system.start_service("moderation")
    wait_until("moderation up", lambda: w.page.system()["services"]["moderation"]["state"] == "up", 30)
    w.browser.click(f'li.dead-letter[data-dead-letter-id="{w.older_letter}"] button.retry')

    def retried():
        d = next((d for d in w.page.system()["deadLetters"] if d["id"] == w.older_letter), None)
        assert d is None or d["error"] is None, f"the retry failed: {d['error']!r}"
        return d and d["retried"] and d["disabled"] and d["button"] == "Retried" and d
    wait_until("the letter shown as retried, its button disabled", retried, 15)
    wait_until("Retry all to count one letter", lambda: w.page.system()["retryAll"]["text"] == "Retry all (1)", 10)
    w.browser.click("#retry-all")
    wait_until("Retry all to say what it did",
               lambda: w.page.system()["retryAllNote"] == "1 dead letter put back into its stream.", 15)
    wait_until("every letter retried, Retry all disabled",
               lambda: all(d["retried"] for d in w.page.system()["deadLetters"])
               and w.page.system()["retryAll"] == {"text": "Retry all (0)", "disabled": True}, 15)
    w.browser.full_screenshot(w.output / "system-view.png")
    w.page.show("posts")
    wait_until("both retried comments approved, the gave-up lines gone", lambda: all(
        c["status"] == "approved" and c["gaveUp"] is None
        for c in w.page.the_post()["comments"] if c["id"] in w.letter_comments.values()), 30)
    w.page.no_reload()
