from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("deals/<int:deal_id>/invoices/panel/", views.deal_panel, name="deal_panel"),
    path("deals/<int:deal_id>/invoices/new/", views.invoice_create, name="invoice_create"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice"),
    path("invoices/<int:pk>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("invoices/<int:pk>/issue/", views.invoice_issue, name="invoice_issue"),
    path("invoices/<int:pk>/cancel/", views.invoice_cancel, name="invoice_cancel"),
    path("invoices/<int:pk>/reissue/", views.invoice_reissue, name="invoice_reissue"),
    path("invoices/<int:pk>/send/", views.invoice_send, name="invoice_send"),
    path("invoices/<int:pk>/plan/", views.invoice_plan, name="invoice_plan"),
    path("invoices/<int:pk>/payments/", views.payment_add, name="payment_add"),
    path("receivables/", views.receivables, name="receivables"),
    path("receivables/statement/", views.statement_import, name="statement_import"),
    path("shipments/overdue/", views.shipments_overdue, name="shipments_overdue"),
    path("deals/<int:deal_id>/shipments/new/", views.shipment_create, name="shipment_create"),
    path("shipments/<int:pk>/status/", views.shipment_status, name="shipment_status"),
    path("shipments/<int:pk>/pdf/", views.shipment_pdf, name="shipment_pdf"),
    path("deals/<int:deal_id>/acts/new/", views.act_create, name="act_create"),
    path("acts/<int:pk>/pdf/", views.act_pdf, name="act_pdf"),
    path("acts/<int:pk>/<str:action>/", views.act_action, name="act_action"),
    path("surveys/", views.survey_list, name="surveys"),
]
