from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationConfig(AppConfig):
    name = "voronka.automation"
    label = "automation"
    verbose_name = _("Automation")

    def ready(self) -> None:
        # The on_enter actions that need mailings or integrations become available to the stage settings.
        from voronka.automation import actions

        actions.register()
