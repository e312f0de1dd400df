from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "yiwang.catalog"
    label = "catalog"
    verbose_name = _("政务服务事项目录")

    def ready(self) -> None:
        from yiwang.catalog.demo import seed_catalog
        from yiwang.core.demo import register_seeder

        register_seeder("catalog", seed_catalog, order=20)
