from django.urls import path

from payments import views

app_name = "payments"

urlpatterns = [
    path("c/<str:token>/", views.coordinator_page, name="coordinator"),
    path("c/<str:token>/pay/", views.coordinator_pay, name="coordinator_pay"),
    path("c/<str:token>/reverse/", views.coordinator_reverse, name="coordinator_reverse"),
    path("c/<str:token>/prints/", views.coordinator_prints, name="coordinator_prints"),
    path("unit/<int:unit_id>/fees/", views.unit_fees, name="unit_fees"),
    path("staff/fees/", views.reconciliation, name="reconciliation"),
    path("staff/fees.xlsx", views.reconciliation_xlsx, name="reconciliation_xlsx"),
]
