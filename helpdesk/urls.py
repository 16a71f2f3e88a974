from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from helpdesk import views
from inbox import views as inbox_views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("inbox/", include("inbox.urls")),
    path("image-proxy/", inbox_views.image_proxy, name="image_proxy"),
    path("settings/rejected/", include("inbox.rejected_urls")),
    # --- inbox2: blocked senders (issue 5 follow-up) ---
    path("settings/blocked/", include("inbox.blocked_urls")),
    # --- end inbox2 ---
    path("settings/", include("channels_cfg.urls")),
    path("anymail/", include("inbox.webhook_urls")),
    path("django-admin/", admin.site.urls),
]
