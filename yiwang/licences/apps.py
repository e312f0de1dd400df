from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LicencesConfig(AppConfig):
    name = "yiwang.licences"
    label = "licences"
    verbose_name = _("电子证照")

    def ready(self) -> None:
        from yiwang.cases import results, shared
        from yiwang.core.demo import register_seeder
        from yiwang.licences import demo, providers, services

        # On approval, the item's result licence is issued (cases/results.py).
        results.register_issuer(services.issue_for_case)
        # 一证通办: a licence given as a case material is checked and its use recorded here.
        shared.register_licence_provider(providers.provider)
        # After the accounts demo (seed_demo) and the catalogue (20), before the demo cases (40).
        register_seeder("licences", demo.seed_licences, order=25)
