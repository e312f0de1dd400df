"""The 好差评 demo: windows, ratings for the 12345 history with bad reviews in every state, the
demo staff can run the loop, and a second run adds nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import override_settings

from yiwang.accounts import demo as accounts_demo
from yiwang.accounts.models import User
from yiwang.core.demo import registered_seeders
from yiwang.hotline.demo import seed_hotline
from yiwang.hotline.models import Ticket
from yiwang.ratings import services
from yiwang.ratings.demo import seed_ratings
from yiwang.ratings.models import BadReview, BadReviewStatus, Rating, ServiceWindow

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    with override_settings(YIWANG_DEMO=True):
        accounts_demo.seed_demo()
        seed_hotline()
        yield seed_ratings()


def test_the_ratings_seeder_runs_after_the_hotline_and_the_cases():
    order = registered_seeders()
    assert order.index("hotline") < order.index("cases") < order.index("ratings")


def test_the_12345_history_is_rated_with_bad_reviews_in_every_state(seeded):
    rated = Ticket.objects.filter(satisfaction__isnull=False, status="closed").count()
    assert rated > 30 and Rating.objects.count() == rated == seeded["ratings"]
    bad = Rating.objects.filter(is_bad=True)
    assert bad.count() == BadReview.objects.count() > 3
    assert all(r.level <= 2 for r in bad)
    states = set(BadReview.objects.values_list("status", flat=True))
    assert states == set(BadReviewStatus.values) - {BadReviewStatus.APPEALED}
    assert ServiceWindow.objects.filter(code="A01", department__short_name="市政务服务局").exists()


def test_a_second_run_adds_nothing(seeded):
    with override_settings(YIWANG_DEMO=True):
        assert seed_ratings() == {}


def test_every_bad_review_has_a_demo_handler_and_the_supervisor(seeded):
    staff = list(User.objects.filter(kind=User.Kind.STAFF))
    supervisor = User.objects.get(username="rating.supervisor")
    for review in BadReview.objects.select_related("department"):
        assert any(services.can_handle(u, review) for u in staff), review.department.name
        assert services.can_supervise(supervisor, review)
    review = BadReview.objects.filter(status=BadReviewStatus.AWAITING_CALLBACK).first()
    if review is not None:
        handler = next(u for u in staff if services.can_handle(u, review))
        assert services.call_back(handler, review, "已回访").status == BadReviewStatus.CALLED_BACK


def test_the_deadline_command_escalates_what_is_overdue(seeded):
    out = io.StringIO()
    call_command("check_rating_deadlines", stdout=out)
    first = int(out.getvalue().rsplit(":", 1)[1])
    out = io.StringIO()
    call_command("check_rating_deadlines", stdout=out)
    assert out.getvalue().strip() == "bad reviews escalated: 0"
    assert BadReview.objects.filter(escalation_level__gt=0).count() == first
