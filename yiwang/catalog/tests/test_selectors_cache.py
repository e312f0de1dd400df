"""The per-process cache of published items never serves a version that is no longer current."""

from __future__ import annotations

import pytest

from yiwang.catalog import selectors
from yiwang.catalog.models import ItemStatus, Material, ServiceItem
from yiwang.core.errors import NotFound

pytestmark = pytest.mark.django_db


@pytest.fixture
def published() -> ServiceItem:
    from yiwang.accounts.tests.factories import make_department
    from yiwang.cases.tests.factories import make_item

    return make_item(make_department(), name="食品经营许可")


def test_a_second_read_is_one_lookup_and_gives_an_equal_copy(
    published, django_assert_num_queries
) -> None:
    first = selectors.get_published_item(published.implementation_code)
    with django_assert_num_queries(1):
        second = selectors.get_published_item(published.implementation_code)
    assert second is not first and second.pk == first.pk
    assert [m.key for m in second.materials.all()] == [m.key for m in first.materials.all()]
    second.name = "changed in one request"
    assert selectors.get_published_item(published.implementation_code).name == "食品经营许可"


def test_a_suspension_written_by_another_process_is_seen_at_once(published) -> None:
    selectors.get_published_item(published.implementation_code)
    # A queryset update fires no signal: as if another process had written it.
    ServiceItem.objects.filter(pk=published.pk).update(status=ItemStatus.SUSPENDED)
    with pytest.raises(NotFound):
        selectors.get_published_item(published.implementation_code)


def test_a_new_published_version_replaces_the_cached_one(published) -> None:
    selectors.get_published_item(published.implementation_code)
    ServiceItem.objects.filter(pk=published.pk).update(status=ItemStatus.SUPERSEDED)
    newer = ServiceItem.objects.get(pk=published.pk)
    newer.pk = None
    newer.version = 2
    newer.status = ItemStatus.PUBLISHED
    ServiceItem.objects.bulk_create([newer])  # no signal either
    assert selectors.get_published_item(published.implementation_code).version == 2


def test_saving_a_material_in_this_process_empties_the_cache(published) -> None:
    selectors.get_published_item(published.implementation_code)
    Material.objects.create(item=published, key="extra", name="补充材料")
    keys = [
        m.key for m in selectors.get_published_item(published.implementation_code).materials.all()
    ]
    assert "extra" in keys
