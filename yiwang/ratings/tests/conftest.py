from __future__ import annotations

import pytest

from yiwang.ratings.tests.factories import RatingCast, make_rating_cast


@pytest.fixture
def rcast(db) -> RatingCast:
    return make_rating_cast()
