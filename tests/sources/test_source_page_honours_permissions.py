"""The source page shows a user only what their groups may see; others get 404."""

import pytest
from django.test import Client

from sources import actions
from sources.models import Classification, Comment, SourceTag, Taxonomy
from tests.sources.conftest import add_photometry, make_candidate, make_target

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_answers_404_to_a_user_of_another_group(alice, bob, group_a, filter_a):
    target = make_target("ZTFalice", [group_a])
    make_candidate(target, filter_a)
    bob_client = client_for(bob)
    for url in [
        "/sources/ZTFalice/",
        "/sources/ZTFalice/photometry.csv",
    ]:
        assert bob_client.get(url).status_code == 404
    for url in ["save", "unsave", "reject", "unreject", "comment", "tag", "classify"]:
        assert bob_client.post(f"/sources/ZTFalice/{url}/").status_code == 404
    assert client_for(alice).get("/sources/ZTFalice/").status_code == 200


def test_it_shows_plot_data_table_and_csv(alice, group_a, filter_a):
    target = make_target("ZTFalice", [group_a])
    add_photometry(target, n=3)
    make_candidate(target, filter_a)
    client = client_for(alice)
    page = client.get("/sources/ZTFalice/").content.decode()
    assert 'id="photometry-data"' in page and "ztfg" in page and "triangle" not in page
    csv_lines = client.get("/sources/ZTFalice/photometry.csv").content.decode().splitlines()
    assert csv_lines[0].startswith("mjd,band,instrument,flux_ujy")
    assert len(csv_lines) == 1 + 4


def test_it_shows_comments_and_tags_of_my_groups_only(alice, bob, group_a, group_b):
    target = make_target("ZTFshared", [group_a, group_b])
    actions.add_comment(alice, target, "alice's note for A")
    actions.add_comment(bob, target, "bob's note for B")
    SourceTag.objects.create(target=target, group=group_a, name="tag-of-a")
    SourceTag.objects.create(target=target, group=group_b, name="tag-of-b")
    page = client_for(alice).get("/sources/ZTFshared/").content.decode()
    assert "note for A" in page and "note for B" not in page
    assert "tag-of-a" in page and "tag-of-b" not in page
    assert Comment.objects.count() == 2


def test_it_adds_a_classification_from_the_taxonomy_and_counts_votes(alice, group_a):
    make_target("ZTFalice", [group_a])
    taxonomy = Taxonomy.objects.create(
        name="Fink", version="1", hierarchy={"SN candidate": {"SN Ia": {}}, "Kilonova": {}}
    )
    client = client_for(alice)
    client.post(
        "/sources/ZTFalice/classify/", {"label": f"{taxonomy.id}:SN Ia", "probability": "0.8"}
    )
    classification = Classification.objects.get()
    assert (classification.label, classification.author, classification.probability) == (
        "SN Ia",
        alice,
        0.8,
    )
    client.post(f"/classifications/{classification.id}/vote/", {"vote": "1"})
    client.post(f"/classifications/{classification.id}/vote/", {"vote": "-1"})
    assert list(classification.votes.values_list("vote", flat=True)) == [-1]
    response = client.post("/sources/ZTFalice/classify/", {"label": f"{taxonomy.id}:Dragon"})
    assert response.status_code == 302 and Classification.objects.count() == 1


def test_it_lists_a_groups_saved_sources_to_its_members_only(alice, bob, group_a, filter_a):
    target = make_target("ZTFsaved", [group_a])
    make_candidate(target, filter_a)
    actions.save_source(alice, target)
    page = client_for(alice).get(f"/groups/{group_a.id}/sources/").content.decode()
    assert "ZTFsaved" in page and "alice" in page
    assert client_for(bob).get(f"/groups/{group_a.id}/sources/").status_code == 404


def test_it_updates_the_card_actions_with_htmx(alice, group_a, filter_a):
    target = make_target("ZTFalice", [group_a])
    make_candidate(target, filter_a)
    client = client_for(alice)
    response = client.post("/sources/ZTFalice/save/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "saved to" in response.content.decode()
    response = client.post("/sources/ZTFalice/reject/", HTTP_HX_REQUEST="true")
    assert "undo reject" in response.content.decode()


def test_it_refuses_comments_and_classifications_to_a_view_only_member(alice, group_a):
    from accounts import acl
    from accounts.services import set_only_role

    make_target("ZTFalice", [group_a])
    taxonomy = Taxonomy.objects.create(name="Fink", version="1", hierarchy={"SN": {}})
    set_only_role(alice, acl.VIEW_ONLY)
    viewer = alice.__class__.objects.get(pk=alice.pk)
    client = client_for(viewer)
    client.post("/sources/ZTFalice/comment/", {"text": "hello"})
    client.post("/sources/ZTFalice/classify/", {"label": f"{taxonomy.id}:SN"})
    assert not Comment.objects.exists() and not Classification.objects.exists()
    assert client.get("/sources/ZTFalice/").status_code == 200
