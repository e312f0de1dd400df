from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LicencesConfig(AppConfig):
    name = "yiwang.licences"
    label = "licences"
    verbose_name = _("电子证照")

    def ready(self) -> None:
        from yiwang.cases import results
        from yiwang.core.demo import register_seeder
        from yiwang.licences import demo, services

        results.register_issuer(services.issue_for_case)
        register_seeder("licences", demo.seed_licences, order=25)
