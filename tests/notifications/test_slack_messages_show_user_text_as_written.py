"""User text reaches Slack escaped (``&``, ``<``, ``>``): a comment cannot ping a whole
channel (``<!channel>``) or hide a link behind a label (``<url|label>``)."""

from __future__ import annotations

from notifications import services
from tests.notifications.conftest import set_channels


def test_it_escapes_slack_control_sequences_in_a_notice(
    carol, slack, eager_celery, django_capture_on_commit_callbacks
):
    set_channels(carol, "mention", ["in_app", "slack"])
    services.set_slack_url(carol, slack.prefix + "T000/B000/carol")
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(
            [carol],
            "mention",
            "bob mentioned you: <!channel> see <https://phish.example|the plan> & reply",
            "/sources/ZTF26a/?a=1&b=2",
        )
    assert len(slack.posts) == 1
    text = slack.posts[0]["text"]
    assert "<!channel>" not in text and "<https://phish" not in text
    assert "&lt;!channel&gt;" in text
    assert "&lt;https://phish.example|the plan&gt; &amp; reply" in text
    assert "/sources/ZTF26a/?a=1&amp;b=2" in text
