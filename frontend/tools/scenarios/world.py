"""What every scenario is handed: the running system, the page, where screenshots go, and
what earlier scenarios left for later ones. Also the texts a learner "types" in the story.
"""

from dataclasses import dataclass, field
from pathlib import Path

from page_kit import Page
from running_system import RunningSystem

# Typed into the page. The title and the first comment carry markup that must stay text.
TITLE = "Hello from the browser test <b>not bold</b>"
LIKED = "I like apples & pears <script>alert(1)</script>"
ORANGE = "I love orange juice"  # moderation rejects comments that mention oranges
DURING_QUERY_OUTAGE = "Written while query is down"
WHILE_MODERATION_DOWN = "Written while moderation is down"
WHILE_NODE_DOWN = "Written while a broker node is down"
DECIDED_BY_A_PERSON = "Judged by a person, not a rule"
MODERATED_SLOWLY = "Moderated by a slow moderator"
MODERATED_AFTER_RETRIES = ["Moderated only after a retry", "Moderated after Retry all"]
REJECTED_TEXT = "This comment has been rejected"


@dataclass
class World:
    system: RunningSystem
    page: Page
    output: Path  # screenshots go here
    # Left by one scenario for a later one:
    waiting_comment: str | None = None  # written while moderation was down; its timeline is open
    letter_comments: dict = field(default_factory=dict)  # dead letter id -> its comment's id
    older_letter: str | None = None  # the dead letter Retry is pressed on

    @property
    def browser(self):
        return self.page.browser
