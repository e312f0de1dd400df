from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "yiwang.core"
    label = "core"
    verbose_name = _("共享内核")

    def ready(self) -> None:
        from yiwang.core.calendar import seed_calendar_after_migrate

        # A fresh database gets the working-day calendar from chinesecalendar (once).
        post_migrate.connect(
            seed_calendar_after_migrate, sender=self, dispatch_uid="core.seed_calendar"
        )
