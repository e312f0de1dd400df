"""How cases reads an item's form: ``yiwang.catalog.selectors.form_spec_for_item/bundle``.

The catalogue owns the FormSpec (fields and materials). This module only adapts it for cases:
``spec_for_item``/``spec_for_bundle`` call the catalogue and return its FormSpec; the helpers
read fields and materials whatever the exact shape of ``choices`` is.
"""

from __future__ import annotations

from typing import Any

from yiwang.catalog.models import Bundle, ServiceItem


def spec_for_item(item: ServiceItem) -> Any:
    from yiwang.catalog import selectors as catalog_selectors

    return catalog_selectors.form_spec_for_item(item)


def spec_for_bundle(bundle: Bundle) -> Any:
    from yiwang.catalog import selectors as catalog_selectors

    return catalog_selectors.form_spec_for_bundle(bundle)


def bundle_items(bundle: Bundle) -> list[ServiceItem]:
    from yiwang.catalog import selectors as catalog_selectors

    return list(catalog_selectors.bundle_items(bundle))


def choice_pairs(choices: Any) -> list[tuple[str, str]]:
    """``[(value, label)]`` from choices given as strings, pairs or dicts."""
    pairs: list[tuple[str, str]] = []
    for choice in choices or ():
        if isinstance(choice, dict):
            value = str(choice.get("value", choice.get("key", "")))
            pairs.append((value, str(choice.get("label", value))))
        elif isinstance(choice, list | tuple) and len(choice) >= 2:
            pairs.append((str(choice[0]), str(choice[1])))
        else:
            pairs.append((str(choice), str(choice)))
    return pairs


def material_key(material_spec: Any, *, bundle: bool) -> str:
    """The key a submission uses for a material: ``key`` for one item, ``<item_code>:<key>`` in a
    bundle (the same material of two items is listed per item)."""
    return f"{material_spec.item_code}:{material_spec.key}" if bundle else material_spec.key
