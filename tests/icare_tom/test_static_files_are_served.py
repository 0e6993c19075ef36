"""Pages are styled without DEBUG and without a collectstatic step (demo and gunicorn)."""

import pytest


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/static/sources/scanning.css", "text/css"),
        ("/static/django_htmx/htmx-2.min.js", "text/javascript"),
    ],
)
def test_it_serves_static_files_to_anyone_with_debug_off(client, settings, path, content_type):
    assert settings.DEBUG is False
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert b"".join(response.streaming_content if response.streaming else [response.content])
