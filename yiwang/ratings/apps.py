from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RatingsConfig(AppConfig):
    name = "yiwang.ratings"
    label = "ratings"
    verbose_name = _("好差评")

    def ready(self) -> None:
        from yiwang.core.demo import register_seeder
        from yiwang.ratings import demo

        # After the hotline (30: its closed tickets are rated) and the cases (40).
        register_seeder("ratings", demo.seed_ratings, order=50)
