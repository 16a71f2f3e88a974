"""Forms of the wizard steps and the channel settings: binding and field rules only."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User

from channels_cfg import selectors
from channels_cfg.addresses import (
    LOCAL_PART_MAX,
    local_part_problem,
    normalize_local_part,
)
from channels_cfg.models import (
    EmailChannel,
    TicketCategory,
    TicketPipeline,
    TicketPriority,
    TicketStatus,
)
from channels_cfg.providers import provider_choices
from helpdesk.models import Team


class AccessibleErrorsForm(forms.Form):
    """Marks fields with errors aria-invalid and points them at their error text."""

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            self._mark_invalid(name)

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        if field:
            self._mark_invalid(field)

    def _mark_invalid(self, name: str) -> None:
        if name in self.fields:
            self.fields[name].widget.attrs.update(
                {"aria-invalid": "true", "aria-describedby": f"id_{name}-error"}
            )


class FromSettingsForm(AccessibleErrorsForm):
    from_name_mode = forms.ChoiceField(
        label="From name",
        choices=EmailChannel.FromNameMode.choices,
        widget=forms.RadioSelect,
    )
    company_name = forms.CharField(label="Company name", max_length=120)
    from_address_mode = forms.ChoiceField(
        label="From address",
        choices=EmailChannel.FromAddressMode.choices,
        widget=forms.RadioSelect,
    )
    custom_from_address = forms.EmailField(label="Custom from address", required=False)
    signature_html = forms.CharField(
        label="Team signature", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    # Shown on a connected channel's edit page only (the wizard asks for it in its last step).
    team_address = forms.EmailField(label="Your team's email address", required=False)

    def __init__(self, *args: Any, channel: EmailChannel, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.channel = channel

    def clean_company_name(self) -> str:
        company_name = self.cleaned_data["company_name"].strip()
        if not company_name:
            raise forms.ValidationError("Enter the company name your contacts know you by.")
        if selectors.from_name_taken(
            workspace_id=self.channel.workspace_id,
            company_name=company_name,
            exclude_channel_id=self.channel.pk,
        ):
            taken = selectors.FROM_NAME_TAKEN.format(company_name=company_name)
            raise forms.ValidationError(f"{taken} Choose a different name.")
        return company_name

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("from_address_mode") == EmailChannel.FromAddressMode.CUSTOM and not (
            cleaned.get("custom_from_address") or self.errors.get("custom_from_address")
        ):
            self.add_error("custom_from_address", "Enter the address replies should come from.")
        return cleaned


class UserChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.get_username()


class TeamChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Team) -> str:
        return obj.name


class AssignmentForm(AccessibleErrorsForm):
    auto_assign = forms.BooleanField(
        label="Automatically assign threads",
        required=False,
        widget=forms.CheckboxInput(attrs={"role": "switch"}),
    )
    assign_mode = forms.ChoiceField(
        label="Assign to", choices=EmailChannel.AssignMode.choices, widget=forms.RadioSelect
    )
    assign_users = UserChoiceField(
        label="Users",
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    assign_teams = TeamChoiceField(
        label="Teams",
        queryset=Team.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    create_tickets = forms.BooleanField(
        label="Treat incoming conversations as support tickets",
        required=False,
        widget=forms.CheckboxInput(attrs={"role": "switch"}),
    )
    ticket_pipeline = forms.ChoiceField(label="Pipeline", choices=TicketPipeline.choices)
    ticket_status = forms.ChoiceField(label="Ticket status", choices=TicketStatus.choices)
    ticket_priority = forms.ChoiceField(label="Priority", choices=TicketPriority.choices)
    ticket_category = forms.ChoiceField(
        label="Category", choices=TicketCategory.choices, required=False
    )

    def __init__(self, *args: Any, channel: EmailChannel, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        users = get_user_model().objects.filter(agent__workspace=channel.workspace)
        users_field = cast(UserChoiceField, self.fields["assign_users"])
        users_field.queryset = users.order_by("first_name", "username")
        teams_field = cast(TeamChoiceField, self.fields["assign_teams"])
        teams_field.queryset = Team.objects.filter(workspace=channel.workspace)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if (
            cleaned.get("auto_assign")
            and cleaned.get("assign_mode") == EmailChannel.AssignMode.USERS_AND_TEAMS
            and not cleaned.get("assign_users")
            and not cleaned.get("assign_teams")
        ):
            self.add_error("assign_users", "Choose at least one user or team to assign to.")
        return cleaned


class ForwardingAddressForm(AccessibleErrorsForm):
    local_part = forms.CharField(label="Address name", max_length=LOCAL_PART_MAX + 20)

    def __init__(self, *args: Any, channel: EmailChannel, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.channel = channel

    def clean_local_part(self) -> str:
        local_part = normalize_local_part(self.cleaned_data["local_part"])
        problem = local_part_problem(local_part)
        if problem:
            raise forms.ValidationError(problem)
        address = f"{local_part}@{self.channel.workspace.hosted_domain}"
        if selectors.forwarding_address_taken(address=address, exclude_channel_id=self.channel.pk):
            raise forms.ValidationError(selectors.FORWARDING_ADDRESS_TAKEN.format(address=address))
        return local_part


class ProviderForm(AccessibleErrorsForm):
    provider = forms.ChoiceField(label="Choose your email provider", choices=provider_choices())
    team_address = forms.EmailField(
        label="Your team's email address",
        required=False,
        help_text="The mailbox that forwards to us, for example support@yourcompany.com.",
    )
