from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "yiwang.cases"
    label = "cases"
    verbose_name = _("办件")

    def ready(self) -> None:
        from yiwang.cases import demo
        from yiwang.cases.services import on_clock_changed, on_process_finished
        from yiwang.core.demo import register_seeder
        from yiwang.workflow import hooks

        hooks.register(
            "cases.case", on_finished=on_process_finished, on_clock_changed=on_clock_changed
        )
        register_seeder("cases", demo.seed_cases, order=40)
