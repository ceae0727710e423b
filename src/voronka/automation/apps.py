from importlib import import_module

from django.apps import AppConfig, apps
from django.utils.module_loading import module_has_submodule
from django.utils.translation import gettext_lazy as _


class AutomationConfig(AppConfig):
    name = "voronka.automation"
    label = "automation"
    verbose_name = _("Automation")

    def ready(self) -> None:
        # The scheduled jobs: ``jobs.py`` of any Voronka app registers its own with ``@job(...)``.
        for config in apps.get_app_configs():
            if config.name.startswith("voronka.") and module_has_submodule(config.module, "jobs"):
                import_module(f"{config.name}.jobs")
        # The on_enter actions that need mailings or integrations become available to the stage settings.
        from voronka.automation import actions

        actions.register()
