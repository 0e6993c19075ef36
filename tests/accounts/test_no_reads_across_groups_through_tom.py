"""Item 3: TOM's data-product share, django_comments' flag/delete pages and TOM comments on
a shared target do not show group A's data to bob."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.sites.models import Site
from django.utils import timezone
from django_comments.models import Comment as TomComment
from tom_dataproducts.models import DataProduct, ReducedDatum

from accounts import services
from tests.accounts.attack import client_for

SECRET_TEXT = "A-only: host galaxy redshift 0.0123"


@pytest.fixture
def a_comment(alice, target_a):
    return TomComment.objects.create(
        content_type=ContentType.objects.get_for_model(target_a),
        object_pk=str(target_a.pk),
        site=Site.objects.get_current(),
        user=alice,
        comment=SECRET_TEXT,
    )


@pytest.fixture
def a_data(alice, target_a, a_comment):
    product = DataProduct.objects.create(
        target=target_a, product_id="a-phot", data_product_type="photometry"
    )
    ReducedDatum.objects.create(
        target=target_a,
        data_product=product,
        data_type="photometry",
        source_name=SECRET_TEXT,
        timestamp=timezone.now(),
        value={"magnitude": 18.0, "filter": "r", "note": SECRET_TEXT},
    )
    return product, a_comment


@pytest.mark.django_db
def test_it_shows_bob_nothing_of_group_a_through_tom(bob, a_data, target_a):
    product, comment = a_data
    client = client_for(bob)
    responses = [
        client.post(f"/dataproducts/data/{product.pk}/share/", {"share_destination": "download"}),
        client.get(f"/dataproducts/data/{product.pk}/share/?share_destination=download"),
        client.get(f"/comments/flag/{comment.pk}/"),
        client.get(f"/comment/{comment.pk}/delete"),
        client.get(f"/comments/delete/{comment.pk}/"),
        client.get(f"/comments/cr/{ContentType.objects.get_for_model(target_a).pk}/{target_a.pk}/"),
    ]
    for response in responses:
        assert response.status_code == 404
        assert SECRET_TEXT not in response.content.decode()


@pytest.mark.django_db
def test_it_keeps_tom_comments_of_a_off_a_target_shared_with_b(
    alice, bob, group_b, a_comment, target_a
):
    services.share_target(alice, target_a, [group_b])
    page = client_for(bob).get(f"/targets/{target_a.pk}/")
    assert page.status_code == 200
    assert SECRET_TEXT not in page.content.decode()
