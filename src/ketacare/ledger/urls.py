from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="ledger-home"),
    path("items/new/", views.item_create, name="ledger-item-create"),
    path("report/", views.report, name="ledger-report"),
    path("report/ledger.csv", views.report_csv, name="ledger-report-csv"),
    path("report/ledger.pdf", views.report_pdf, name="ledger-report-pdf"),
    path("entries/<int:entry_id>/reverse/", views.entry_reverse, name="ledger-reverse"),
    path("<int:item_id>/", views.item_detail, name="ledger-item"),
    path("<int:item_id>/<slug:kind>/", views.entry_record, name="ledger-record"),
]
