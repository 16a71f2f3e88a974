"""The report settings form: the workspace's time zone and business hours."""

from __future__ import annotations

import zoneinfo
from datetime import time
from typing import Any

from django import forms

from channels_cfg.forms import AccessibleErrorsForm
from reports.business_hours import (
    WEEKDAYS,
    Schedule,
    ScheduleError,
    schedule_from_json,
    schedule_to_json,
)


def _zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class ReportSettingsForm(AccessibleErrorsForm):
    """One opening per weekday (e.g. 09:00 to 17:00), or closed. Reports count first response
    times in these hours once any day is open."""

    time_zone = forms.ChoiceField(
        label="Time zone",
        help_text="Where the reports' days begin and end, and where business hours are read.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zone_field = self.fields["time_zone"]
        assert isinstance(zone_field, forms.ChoiceField)
        zone_field.choices = _zone_choices()
        for index, name in enumerate(WEEKDAYS):
            self.fields[f"open_{index}"] = forms.BooleanField(
                label=f"Open on {name}", required=False
            )
            self.fields[f"opens_{index}"] = forms.TimeField(
                label=f"{name} opens",
                required=False,
                widget=forms.TimeInput(attrs={"type": "time"}),
            )
            self.fields[f"closes_{index}"] = forms.TimeField(
                label=f"{name} closes",
                required=False,
                widget=forms.TimeInput(attrs={"type": "time"}),
            )

    @classmethod
    def initial_for(cls, time_zone: str, stored: Any) -> dict[str, Any]:
        try:
            schedule = schedule_from_json(stored)
        except ScheduleError:
            schedule = schedule_from_json({})
        initial: dict[str, Any] = {"time_zone": time_zone}
        for index, hours in enumerate(schedule.days):
            opens, closes = hours[0] if hours else (time(9), time(17))
            initial |= {
                f"open_{index}": bool(hours),
                f"opens_{index}": opens,
                f"closes_{index}": closes,
            }
        return initial

    def days(self) -> list[tuple[str, forms.BoundField, forms.BoundField, forms.BoundField]]:
        """Each weekday's three fields, for the template's table."""
        return [
            (name, self[f"open_{index}"], self[f"opens_{index}"], self[f"closes_{index}"])
            for index, name in enumerate(WEEKDAYS)
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for index, name in enumerate(WEEKDAYS):
            if not cleaned.get(f"open_{index}"):
                continue
            opens, closes = cleaned.get(f"opens_{index}"), cleaned.get(f"closes_{index}")
            if opens is None and f"opens_{index}" not in self.errors:
                self.add_error(f"opens_{index}", f"Enter when {name} opens, or untick it.")
            if closes is None and f"closes_{index}" not in self.errors:
                self.add_error(f"closes_{index}", f"Enter when {name} closes, or untick it.")
            if opens is not None and closes is not None and closes <= opens:
                self.add_error(
                    f"closes_{index}",
                    f"{name} must close after it opens ({opens:%H:%M}); "
                    "hours that run past midnight go on the next day.",
                )
        return cleaned

    def schedule(self) -> Schedule:
        """The valid form's schedule."""
        data = {
            str(index): [
                [
                    f"{self.cleaned_data[f'opens_{index}']:%H:%M}",
                    f"{self.cleaned_data[f'closes_{index}']:%H:%M}",
                ]
            ]
            for index in range(len(WEEKDAYS))
            if self.cleaned_data.get(f"open_{index}")
        }
        return schedule_from_json(data)

    def business_hours_json(self) -> dict[str, list[list[str]]]:
        return schedule_to_json(self.schedule())
