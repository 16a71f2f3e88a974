"""ESP webhooks under /anymail/<esp>/inbound/ (anymail checks basic auth and signatures)."""

from django.urls import include, path

urlpatterns = [
    path("", include("anymail.urls")),
]
