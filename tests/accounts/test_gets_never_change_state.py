"""Item 5: no GET changes anything: TOM's calendar delete and data-product feature pages
(which deleted anyone's event and changed another user's product, with a 500) are gone."""

from datetime import timedelta

import pytest
from django.utils import timezone
from tom_calendar.models import CalendarEvent
from tom_dataproducts.models import DataProduct

from tests.accounts.attack import client_for


@pytest.mark.django_db
def test_it_changes_nothing_on_get(alice, bob, target_a):
    now = timezone.now()
    event = CalendarEvent.objects.create(
        title="A's night", start_time=now, end_time=now + timedelta(hours=8), user="alice"
    )
    product = DataProduct.objects.create(
        target=target_a, product_id="a-img", data_product_type="image_file"
    )
    for user in (bob, alice):
        client = client_for(user)
        assert client.get(f"/calendar/delete/{event.pk}/").status_code == 404
        assert client.get(f"/dataproducts/data/{product.pk}/feature/").status_code == 404
    assert CalendarEvent.objects.filter(pk=event.pk).exists()
    product.refresh_from_db()
    assert product.featured is False
