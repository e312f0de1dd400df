"""The working-day calendar: the seeded table, its maintenance by admins, and the cache."""

from __future__ import annotations

import datetime
import io
import json

import chinese_calendar
import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from yiwang.core.calendar import (
    chinesecalendar_snapshot,
    clear_calendar_cache,
    confirm_calendar_year,
    delete_calendar_day,
    get_calendar,
    is_working_day,
    seed_calendar,
    seed_calendar_after_migrate,
    seed_years_available,
    set_calendar_day,
    special_day_counts,
    unconfirm_calendar_year,
)
from yiwang.core.errors import Conflict, NotFound, ValidationFailed
from yiwang.core.management.commands.seed_calendar import parse_years
from yiwang.core.models import CalendarDay, CalendarYear, LedgerEntry

pytestmark = pytest.mark.django_db

d = datetime.date
ADMIN = "user:1"

HOLIDAY = CalendarDay.Kind.HOLIDAY
MAKEUP = CalendarDay.Kind.MAKEUP_WORKDAY
WORKDAY = CalendarDay.Kind.WORKDAY
WEEKEND = CalendarDay.Kind.WEEKEND


def _wipe(years: list[int] | None = None) -> None:
    """Empty the tables in one statement each (the ORM would fetch and signal per row)."""
    days, years_table = CalendarDay._meta.db_table, CalendarYear._meta.db_table
    with connection.cursor() as cursor:
        if years is None:
            cursor.execute(f"DELETE FROM {days}")
            cursor.execute(f"DELETE FROM {years_table}")
        else:
            for year in years:
                cursor.execute(
                    f"DELETE FROM {days} WHERE date BETWEEN %s AND %s",
                    [d(year, 1, 1), d(year, 12, 31)],
                )


def _days(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    return [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]


# --- The seeded table --------------------------------------------------------------------------


def test_a_fresh_database_comes_with_the_calendar_seeded_and_its_years_confirmed():
    # Nobody seeded anything in this test: the post_migrate hook did it when the database was made.
    assert CalendarDay.objects.filter(date__year=2025).count() == 365
    assert CalendarDay.objects.filter(date__year=2024).count() == 366
    confirmed = set(CalendarYear.objects.filter(confirmed=True).values_list("year", flat=True))
    assert confirmed == set(range(2004, 2027))
    assert not CalendarDay.objects.exclude(source=CalendarDay.Source.SEEDED).exists()


def test_chinesecalendar_covers_2004_to_2026():
    assert seed_years_available() == range(2004, 2027)


STATE_COUNCIL_2025_2026 = [
    # 2025 春节: Jan 28 – Feb 4 off; make-up workdays Sun Jan 26 and Sat Feb 8.
    (d(2025, 1, 26), MAKEUP, "春节"),
    (d(2025, 1, 27), WORKDAY, ""),
    *[(day, HOLIDAY, "春节") for day in _days(d(2025, 1, 28), d(2025, 2, 4))],
    (d(2025, 2, 5), WORKDAY, ""),
    (d(2025, 2, 8), MAKEUP, "春节"),
    (d(2025, 2, 9), WEEKEND, ""),
    # 2025 国庆 + 中秋: Oct 1 – 8 off; make-up workdays Sun Sep 28 and Sat Oct 11.
    (d(2025, 9, 28), MAKEUP, "国庆节"),
    (d(2025, 9, 30), WORKDAY, ""),
    *[(day, HOLIDAY, "国庆节") for day in _days(d(2025, 10, 1), d(2025, 10, 5))],
    (d(2025, 10, 6), HOLIDAY, "中秋节"),
    (d(2025, 10, 7), HOLIDAY, "国庆节"),
    (d(2025, 10, 8), HOLIDAY, "国庆节"),
    (d(2025, 10, 9), WORKDAY, ""),
    (d(2025, 10, 11), MAKEUP, "国庆节"),
    (d(2025, 10, 12), WEEKEND, ""),
    # 2026 元旦: Jan 1 – 3 off; make-up Sun Jan 4.
    *[(day, HOLIDAY, "元旦") for day in _days(d(2026, 1, 1), d(2026, 1, 3))],
    (d(2026, 1, 4), MAKEUP, "元旦"),
    # 2026 春节: Feb 15 – 23 off (nine days); make-up Sat Feb 14 and Sat Feb 28.
    (d(2026, 2, 14), MAKEUP, "春节"),
    *[(day, HOLIDAY, "春节") for day in _days(d(2026, 2, 15), d(2026, 2, 23))],
    (d(2026, 2, 24), WORKDAY, ""),
    (d(2026, 2, 28), MAKEUP, "春节"),
    # 2026 中秋 Sep 25 – 27 and 国庆 Oct 1 – 7; make-up Sun Sep 20 and Sat Oct 10.
    (d(2026, 9, 20), MAKEUP, "国庆节"),
    *[(day, HOLIDAY, "中秋节") for day in _days(d(2026, 9, 25), d(2026, 9, 27))],
    *[(day, HOLIDAY, "国庆节") for day in _days(d(2026, 10, 1), d(2026, 10, 7))],
    (d(2026, 10, 8), WORKDAY, ""),
    (d(2026, 10, 10), MAKEUP, "国庆节"),
]


@pytest.mark.parametrize(("day", "kind", "name"), STATE_COUNCIL_2025_2026)
def test_the_seeded_table_follows_the_state_council_arrangements(day, kind, name):
    row = CalendarDay.objects.get(date=day)
    assert (row.kind, row.holiday_name) == (kind, name)
    assert row.is_working_day is (kind in (WORKDAY, MAKEUP))
    assert get_calendar().is_working_day(day) is row.is_working_day


def test_the_database_calendar_agrees_with_chinesecalendar_on_every_day_it_covers():
    calendar = get_calendar()
    disagreements = [
        day
        for day in _days(d(2004, 1, 1), d(2026, 12, 31))
        if calendar.is_working_day(day) != chinese_calendar.is_workday(day)
    ]
    assert disagreements == []
    pure = chinesecalendar_snapshot()
    for year in range(2004, 2028):
        assert pure.year(year).flags == calendar.year(year).flags
        assert pure.is_confirmed(year) == calendar.is_confirmed(year)


def test_a_missing_year_is_provisional_and_works_monday_to_friday():
    calendar = get_calendar()
    assert not calendar.is_confirmed(2027)
    # 2027-01-01 is a Friday: surely 元旦, but nobody has confirmed 2027 yet.
    assert calendar.is_working_day(d(2027, 1, 1))
    assert not calendar.is_working_day(d(2027, 1, 2))
    assert calendar.count_working_days(d(2026, 12, 31), d(2027, 12, 31)) == 261


# --- Seeding -------------------------------------------------------------------------------------


def test_seeding_again_changes_nothing():
    before = list(CalendarDay.objects.values_list("date", "kind", "holiday_name", "updated_at"))
    report = seed_calendar(actor="system:test")
    assert (report.created, report.updated, report.kept_admin) == (0, 0, 0)
    assert report.unchanged == len(before)
    assert report.years_confirmed == []
    after = list(CalendarDay.objects.values_list("date", "kind", "holiday_name", "updated_at"))
    assert after == before


def test_seeding_never_overwrites_a_day_an_admin_edited():
    set_calendar_day(day=d(2025, 10, 9), kind=HOLIDAY, holiday_name="本地假日", actor=ADMIN)

    report = seed_calendar([2025], actor="system:test")

    row = CalendarDay.objects.get(date=d(2025, 10, 9))
    assert (row.kind, row.holiday_name, row.source) == (HOLIDAY, "本地假日", "admin")
    assert report.kept_admin == 1
    assert not is_working_day(d(2025, 10, 9))


def test_seeding_repairs_seeded_days_that_drifted_from_the_package():
    # As if an older chinesecalendar had had a wrong entry (queryset.update sends no signals).
    CalendarDay.objects.filter(date=d(2025, 10, 11)).update(
        kind=WEEKEND, is_working_day=False, holiday_name=""
    )

    report = seed_calendar([2025], actor="system:test")

    assert report.updated == 1
    row = CalendarDay.objects.get(date=d(2025, 10, 11))
    assert (row.kind, row.is_working_day, row.holiday_name) == (MAKEUP, True, "国庆节")
    assert is_working_day(d(2025, 10, 11))


def test_seeding_leaves_a_year_the_admins_withdrew_unconfirmed():
    unconfirm_calendar_year(year=2026, actor=ADMIN, reason="复核中")

    report = seed_calendar([2026], actor="system:test")

    assert report.years_confirmed == []
    assert not CalendarYear.objects.get(year=2026).confirmed
    assert not get_calendar().is_confirmed(2026)


def test_seeding_an_empty_table_creates_every_day_and_confirms_the_years():
    _wipe()

    report = seed_calendar([2025, 2026], actor="system:test")

    assert report.created == 365 + 365
    assert report.years_confirmed == [2025, 2026]
    year = CalendarYear.objects.get(year=2025)
    assert year.confirmed and year.confirmed_by.startswith("chinesecalendar ")
    assert not get_calendar().is_working_day(d(2025, 10, 8))


def test_seeding_rejects_a_year_chinesecalendar_does_not_cover():
    with pytest.raises(ValidationFailed) as caught:
        seed_calendar([2026, 2027])
    assert caught.value.code == "calendar_year_not_in_seed"
    assert "2027" in caught.value.message


def test_the_seed_command_fills_the_requested_years_and_reports_in_chinese():
    _wipe([2024, 2025, 2026])
    out = io.StringIO()

    call_command("seed_calendar", "--years", "2024-2026", stdout=out)

    assert CalendarDay.objects.filter(date__year__in=[2024, 2025, 2026]).count() == 366 + 365 + 365
    assert "新增 1096 天" in out.getvalue()
    out = io.StringIO()
    call_command("seed_calendar", "--years", "2024-2026", stdout=out)
    assert "新增 0 天" in out.getvalue()


def test_the_seed_command_refuses_years_outside_the_package():
    with pytest.raises(CommandError, match="2027"):
        call_command("seed_calendar", "--years", "2026-2027", stdout=io.StringIO())


@pytest.mark.parametrize(
    ("text", "years"),
    [("2025", [2025]), ("2024-2026", [2024, 2025, 2026]), ("2019, 2024-2025", [2019, 2024, 2025])],
)
def test_the_seed_command_reads_years_and_ranges(text, years):
    assert parse_years(text) == years


@pytest.mark.parametrize("text", ["twenty", "2026-2024", "2024-", ","])
def test_the_seed_command_rejects_malformed_years(text):
    with pytest.raises(CommandError):
        parse_years(text)


def test_the_post_migrate_hook_seeds_an_empty_database_once():
    _wipe()

    seed_calendar_after_migrate(using="default")
    assert CalendarDay.objects.count() == sum(
        (d(y + 1, 1, 1) - d(y, 1, 1)).days for y in range(2004, 2027)
    )
    set_calendar_day(day=d(2025, 10, 9), kind=HOLIDAY, actor=ADMIN)
    _wipe([2004])

    seed_calendar_after_migrate(using="default")  # not empty: leaves the table alone

    assert not CalendarDay.objects.filter(date__year=2004).exists()
    assert CalendarDay.objects.get(date=d(2025, 10, 9)).kind == HOLIDAY


# --- Admin maintenance ---------------------------------------------------------------------------


def test_an_admin_edit_takes_effect_at_once_and_is_marked_admin():
    calendar = get_calendar()
    assert calendar.is_working_day(d(2025, 10, 9))

    row = set_calendar_day(
        day=d(2025, 10, 9), kind=HOLIDAY, holiday_name="台风停工", note="市政府通告", actor=ADMIN
    )

    assert (row.source, row.is_working_day) == ("admin", False)
    assert not get_calendar().is_working_day(d(2025, 10, 9))
    assert calendar.is_working_day(d(2025, 10, 9))  # an older snapshot stays consistent


def test_it_rejects_a_saturday_marked_as_an_ordinary_workday():
    with pytest.raises(ValidationFailed) as caught:
        set_calendar_day(day=d(2025, 10, 18), kind=WORKDAY, actor=ADMIN)
    assert caught.value.code == "calendar_day_invalid"
    assert "调休上班日" in caught.value.message
    assert CalendarDay.objects.get(date=d(2025, 10, 18)).kind == WEEKEND


def test_it_rejects_a_make_up_workday_on_a_weekday():
    with pytest.raises(ValidationFailed):
        set_calendar_day(day=d(2025, 10, 15), kind=MAKEUP, actor=ADMIN)


def test_deleting_a_day_falls_back_to_the_weekday_rule():
    delete_calendar_day(day=d(2025, 10, 8), actor=ADMIN)  # a Wednesday in 国庆

    assert get_calendar().is_working_day(d(2025, 10, 8))
    with pytest.raises(NotFound):
        delete_calendar_day(day=d(2025, 10, 8), actor=ADMIN)


def test_confirming_a_year_needs_its_holidays_entered_first():
    with pytest.raises(ValidationFailed) as caught:
        confirm_calendar_year(year=2027, actor=ADMIN, confirmed_by="admin")
    assert caught.value.code == "calendar_year_has_no_holidays"
    assert not get_calendar().is_confirmed(2027)


def test_draft_days_of_an_unconfirmed_year_are_ignored_until_it_is_confirmed():
    set_calendar_day(day=d(2027, 1, 1), kind=HOLIDAY, holiday_name="元旦", actor=ADMIN)
    assert CalendarYear.objects.get(year=2027).confirmed is False
    assert get_calendar().is_working_day(d(2027, 1, 1))

    year = confirm_calendar_year(
        year=2027, actor=ADMIN, confirmed_by="admin", note="国办发明电〔2026〕X号"
    )

    assert year.confirmed and year.confirmed_by == "admin" and year.confirmed_at is not None
    calendar = get_calendar()
    assert calendar.is_confirmed(2027)
    assert not calendar.is_working_day(d(2027, 1, 1))
    with pytest.raises(Conflict):
        confirm_calendar_year(year=2027, actor=ADMIN, confirmed_by="admin")


def test_withdrawing_a_confirmation_makes_the_year_provisional_again():
    unconfirm_calendar_year(year=2025, actor=ADMIN, reason="复核")

    calendar = get_calendar()
    assert not calendar.is_confirmed(2025)
    assert calendar.is_working_day(d(2025, 10, 1))  # a Wednesday, by the weekday rule
    with pytest.raises(Conflict):
        unconfirm_calendar_year(year=2025, actor=ADMIN, reason="again")


def test_listeners_hear_which_years_changed_after_commit(django_capture_on_commit_callbacks):
    from yiwang.core.calendar import calendar_changed

    heard: list[list[int]] = []

    def listener(sender, years, using, **kwargs):
        heard.append(years)

    calendar_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            set_calendar_day(day=d(2026, 10, 9), kind=HOLIDAY, actor=ADMIN)
        assert heard == [[2026]]
    finally:
        calendar_changed.disconnect(listener)


def test_every_calendar_change_is_written_to_the_audit_ledger():
    # The bootstrap seeding of a fresh database is installation, not an action: no entry.
    assert not LedgerEntry.objects.filter(action__startswith="calendar.").exists()

    set_calendar_day(day=d(2027, 1, 1), kind=HOLIDAY, holiday_name="元旦", actor="user:7")
    confirm_calendar_year(year=2027, actor="user:7", confirmed_by="admin")
    unconfirm_calendar_year(year=2027, actor="user:8", reason="文号有误")
    delete_calendar_day(day=d(2027, 1, 1), actor="user:8")
    seed_calendar([2026], actor="system:seed_calendar")

    entries = list(
        LedgerEntry.objects.filter(action__startswith="calendar.")
        .order_by("seq")
        .values_list("actor", "action", "object_id")
    )
    assert entries == [
        ("user:7", "calendar.day_set", "2027-01-01"),
        ("user:7", "calendar.year_confirmed", "2027"),
        ("user:8", "calendar.year_unconfirmed", "2027"),
        ("user:8", "calendar.day_deleted", "2027-01-01"),
        ("system:seed_calendar", "calendar.seeded", "2026"),
    ]
    first = LedgerEntry.objects.filter(action="calendar.day_set").get()
    assert json.loads(first.payload_json)["after"]["kind"] == "holiday"


def test_the_year_listing_counts_holidays_and_make_up_days_as_entered():
    expected_2025 = (
        sum(1 for day in chinese_calendar.holidays if day.year == 2025),
        sum(1 for day in chinese_calendar.workdays if day.year == 2025),
    )
    assert expected_2025 == (28, 5)
    counts = special_day_counts([2025, 2026, 2027])
    assert counts[2025] == expected_2025
    assert 2027 not in counts


# --- The cache -----------------------------------------------------------------------------------


def test_a_warm_snapshot_costs_one_small_query(django_assert_num_queries):
    get_calendar().add_working_days(d(2025, 9, 30), 20)  # warm the process cache

    with django_assert_num_queries(1):
        calendar = get_calendar()
        assert calendar.add_working_days(d(2025, 9, 30), 20) == d(2025, 11, 4)
        assert calendar.count_working_days(d(2025, 9, 30), d(2026, 3, 2)) > 0


def test_a_cold_snapshot_loads_each_year_once_not_each_day(django_assert_num_queries):
    clear_calendar_cache()

    with django_assert_num_queries(3):  # the years, then 2025's days, then 2026's days
        calendar = get_calendar()
        assert calendar.add_working_days(d(2025, 12, 1), 60) == d(2026, 3, 2)
        assert calendar.add_working_days(d(2025, 1, 1), 200) > d(2025, 10, 1)


def test_a_change_saved_outside_the_services_is_still_seen():
    get_calendar().is_working_day(d(2025, 10, 10))
    row = CalendarDay.objects.get(date=d(2025, 10, 10))
    row.kind = HOLIDAY
    row.save()

    assert not get_calendar().is_working_day(d(2025, 10, 10))


def test_a_rolled_back_edit_leaves_no_trace_in_the_cache():
    assert is_working_day(d(2025, 10, 9))

    with pytest.raises(RuntimeError), transaction.atomic():
        set_calendar_day(day=d(2025, 10, 9), kind=HOLIDAY, actor=ADMIN)
        assert not is_working_day(d(2025, 10, 9))  # seen inside the transaction (and cached)
        raise RuntimeError("abort")

    assert is_working_day(d(2025, 10, 9))


# --- The Django admin ----------------------------------------------------------------------------


@pytest.fixture
def admin_browser(client, django_user_model):
    from yiwang.accounts.login_session import SECOND_FACTOR_KEY

    user = django_user_model.objects.create_superuser(
        "calendar-admin", "a@example.cn", "pw-123456789"
    )
    client.force_login(user)
    session = client.session
    session[SECOND_FACTOR_KEY] = True
    session.save()
    return client


def test_an_admin_edits_a_day_in_the_django_admin(admin_browser):
    row = CalendarDay.objects.get(date=d(2025, 10, 10))

    response = admin_browser.post(
        f"/admin/core/calendarday/{row.pk}/change/",
        {"kind": HOLIDAY, "holiday_name": "防汛停工", "note": "区政府通告"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    row.refresh_from_db()
    assert (row.kind, row.source, row.is_working_day) == (HOLIDAY, "admin", False)
    entry = LedgerEntry.objects.filter(action="calendar.day_set").get()
    assert (entry.actor, entry.object_id) == (f"user:{response.wsgi_request.user.pk}", "2025-10-10")
    assert not is_working_day(d(2025, 10, 10))


def test_the_admin_form_explains_a_wrong_kind(admin_browser):
    row = CalendarDay.objects.get(date=d(2025, 10, 18))

    response = admin_browser.post(
        f"/admin/core/calendarday/{row.pk}/change/",
        {"kind": WORKDAY, "holiday_name": "", "note": ""},
    )

    assert response.status_code == 200
    assert "调休上班日" in response.content.decode()
    row.refresh_from_db()
    assert row.kind == WEEKEND


def test_an_admin_adds_next_years_holidays_and_confirms_the_year(admin_browser):
    response = admin_browser.post(
        "/admin/core/calendarday/add/",
        {"date": "2027-01-01", "kind": HOLIDAY, "holiday_name": "元旦", "note": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    year = CalendarYear.objects.get(year=2027)

    response = admin_browser.post(
        "/admin/core/calendaryear/",
        {"action": "confirm_years", "_selected_action": [str(year.pk)]},
        follow=True,
    )

    assert "2027 年度日历已确认" in response.content.decode()
    year.refresh_from_db()
    assert year.confirmed and year.confirmed_by == "calendar-admin"
    assert not is_working_day(d(2027, 1, 1))


def test_the_year_list_counts_holidays_and_make_up_days(admin_browser):
    response = admin_browser.get("/admin/core/calendaryear/")

    assert response.status_code == 200
    assert "调休上班天数" in response.content.decode()
    listed = {
        obj.year: (obj.holiday_count, obj.makeup_count)
        for obj in response.context["cl"].result_list
    }
    assert listed[2025] == (28, 5)
