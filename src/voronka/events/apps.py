from importlib import import_module

from django.apps import AppConfig, apps
from django.utils.module_loading import module_has_submodule
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "voronka.events"
    label = "events"
    verbose_name = _("Events")

    def ready(self) -> None:
        # A Voronka app may declare ``handlers.py`` with ``@handles("verb")`` functions. Importing them here
        # keeps the events app free of imports of the apps that react to its events.
        for config in apps.get_app_configs():
            if config.name.startswith("voronka.") and module_has_submodule(config.module, "handlers"):
                import_module(f"{config.name}.handlers")
