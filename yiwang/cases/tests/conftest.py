import pytest

from yiwang.cases.tests.factories import Cast, make_cast


@pytest.fixture
def cast(db) -> Cast:
    return make_cast()
