"""Admin pages for candidates, classifications, cutouts and GCN notices: searchable, and a
staff member sees only their groups' rows; the admin's sections have distinct titles."""

import re

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from sources.models import Classification, Cutout, Taxonomy
from tests.sources.conftest import make_candidate, make_target

pytestmark = pytest.mark.django_db

PAGES = ("candidate", "classification", "cutout", "savedsource", "rejection", "comment")


@pytest.fixture
def rows(group_a, group_b, filter_a, filter_b):
    taxonomy = Taxonomy.objects.create(name="Fink", version="1", hierarchy={"SN": {}})
    for name, group, filter_ in (("ZTFmine", group_a, filter_a), ("ZTFtheirs", group_b, filter_b)):
        target = make_target(name, [group])
        candidate = make_candidate(target, filter_)
        Classification.objects.create(
            target=target, taxonomy=taxonomy, label="SN", author_name="Fink", alert_id=1
        )
        Cutout.objects.create(target=target, alert_id=candidate.alert_id, kind="science", fits=b"")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_lists_and_searches_for_a_super_admin(rows):
    root = User.objects.create_superuser("root", password="pw-root-12345")
    client = client_for(root)
    index = client.get("/admin/").content.decode()
    titles = re.findall(r"<caption>\s*<a[^>]*>([^<]+)</a>", index)
    assert titles and len(titles) == len(set(titles)), titles
    for page in PAGES:
        response = client.get(f"/admin/sources/{page}/", {"q": "ZTFmine"})
        assert response.status_code == 200, page
    found = client.get("/admin/sources/candidate/", {"q": "ZTFmine"}).content.decode()
    assert "ZTFmine" in found and "ZTFtheirs" not in found
    assert client.get("/admin/gcn/gcnnotice/", {"q": "x"}).status_code == 200


def test_it_shows_a_staff_member_only_their_groups_rows(rows, alice):
    alice.is_staff = True
    alice.save()
    alice.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="sources", codename__startswith="view_")
    )
    client = client_for(alice)
    for page in ("candidate", "classification", "cutout"):
        html = client.get(f"/admin/sources/{page}/").content.decode()
        assert "ZTFmine" in html and "ZTFtheirs" not in html, page
