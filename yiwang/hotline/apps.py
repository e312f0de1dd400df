from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotlineConfig(AppConfig):
    name = "yiwang.hotline"
    label = "hotline"
    verbose_name = _("12345 接诉即办")

    def ready(self) -> None:
        from yiwang.core.demo import register_seeder
        from yiwang.hotline import demo

        # After the accounts demo (seed_demo runs before every seeder: 承办单位, agents, handlers).
        register_seeder("hotline", demo.seed_hotline, order=30)
