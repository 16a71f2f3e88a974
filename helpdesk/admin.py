from django.contrib import admin

from helpdesk.models import Agent, Team, Workspace


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["name", "subdomain", "company_name", "plan", "time_zone", "created_at"]
    search_fields = ["name", "subdomain", "company_name"]
    list_filter = ["plan"]


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ["user", "workspace", "role", "availability", "last_seen_at"]
    list_filter = ["role", "availability", "workspace"]
    search_fields = ["user__username", "user__email"]
    raw_id_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace"]
    list_filter = ["workspace"]
    filter_horizontal = ["members"]
