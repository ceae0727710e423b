from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "voronka.billing"
    label = "billing"
    verbose_name = _("Billing")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from voronka.billing.stage_rules import require_paid_invoice
        from voronka.deals.rules import register_stage_rule

        register_stage_rule(require_paid_invoice)  # deals' move and win check "the invoice is paid"
