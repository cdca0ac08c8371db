from django.urls import include, path

from bench import views

urlpatterns = [
    path("bench/ok", views.ok),
    path("bench/get/<str:student_no>", views.indexed_get),
    path("", include("capture_portal.urls")),
]
