from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "voronka.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from voronka.accounts import handlers  # noqa: F401 - connects the sign-in audit receivers
