from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "voronka.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from voronka.core import checks  # noqa: F401  (registers the deployment checks)
        from voronka.core.search import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="voronka.core.search")
