"""The profile form alone: the profile shown fills it, the kind chosen picks its fields."""

from __future__ import annotations

from textual.widgets import Input, Select, Static

from tests.helpers import host_app
from tuner.config import Profile
from tuner.ui.widgets.profile_form import ProfileForm


def shown(form: ProfileForm) -> dict[str, bool]:
    names = ("base_url", "azure_endpoint", "api_version", "organization", "project")
    return {name: bool(form.query_one(f"#{name}", Input).parent.display) for name in names}


async def test_the_profile_and_the_kind_drive_the_fields() -> None:
    form = ProfileForm(lambda profile: f"key saved for {profile.name}")
    app = host_app(form)
    async with app.run_test(size=(80, 30)) as pilot:
        form.profile = Profile(name="work", kind="openai", organization="org-1")
        await pilot.pause()
        assert form.editing == "work"
        assert form.query_one("#organization", Input).value == "org-1"
        assert str(form.query_one("#key-state", Static).render()) == "key saved for work"
        assert shown(form)["organization"] and not shown(form)["azure_endpoint"]

        form.profile = None  # a new profile
        form.query_one("#kind", Select).value = "azure"
        await pilot.pause()
        assert form.kind == "azure"
        assert shown(form) == {
            "base_url": False,
            "azure_endpoint": True,
            "api_version": True,
            "organization": False,
            "project": False,
        }
        assert form.query_one("#api_version", Input).value == "v1"  # a new Azure profile's
        form.query_one("#name", Input).value = "az"
        assert form.read(None) == "An Azure profile needs its endpoint"
        form.query_one("#azure_endpoint", Input).value = "https://az.openai.azure.com"
        profile = form.read(None)
        assert isinstance(profile, Profile)
        assert (profile.kind, profile.api_version, profile.organization) == ("azure", "v1", None)
