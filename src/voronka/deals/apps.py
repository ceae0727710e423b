from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DealsConfig(AppConfig):
    name = "voronka.deals"
    label = "deals"
    verbose_name = _("Deals")

    def ready(self) -> None:
        # A task completed with a Refusal loses its open deal, in the same transaction (activities cannot
        # import deals: it sits below it).
        from voronka.activities.services import set_deal_refusal
        from voronka.deals.services import lose_deal

        set_deal_refusal(lose_deal)
