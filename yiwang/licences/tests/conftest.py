import pytest

from yiwang.licences.tests.factories import LicenceCast, make_licence_cast


@pytest.fixture
def lcast(db) -> LicenceCast:
    return make_licence_cast()
