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

        from django.db.models.signals import post_delete, post_save

        from yiwang.catalog.models import Material, ServiceItem
        from yiwang.catalog.selectors import forget_published_items

        for model in (ServiceItem, Material):
            post_save.connect(forget_published_items, sender=model, dispatch_uid=f"forget-{model}")
            post_delete.connect(
                forget_published_items, sender=model, dispatch_uid=f"forget-del-{model}"
            )
