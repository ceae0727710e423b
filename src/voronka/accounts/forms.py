"""Forms of the user and team settings (the rules live in accounts.services)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Role, Team, User


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        full = obj.get_full_name()
        return f"{full} ({obj.username})" if full else obj.username


class _PasswordPair(forms.Form):
    password = forms.CharField(label=_("Password"), strip=False, max_length=128,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password_again = forms.CharField(label=_("Password again"), strip=False, max_length=128,
                                     widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password_again") and data["password"] != data["password_again"]:
            self.add_error("password_again", _("The passwords do not match."))
        return data


class _UserFields(forms.Form):
    first_name = forms.CharField(label=_("First name"), required=False, max_length=150)
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=150)
    email = forms.EmailField(label=_("Email"), required=False, max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MANAGER,
                             help_text=_("Manager: own records; team lead: the team; head, admin, analyst: "
                                         "everything (analyst read-only; admin also the settings)."))
    team = forms.ModelChoiceField(label=_("Team"), required=False, queryset=Team.objects.none(), empty_label="—")

    def __init__(self, *args, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams if teams is not None else Team.objects.order_by("name")


class UserCreateForm(_UserFields, _PasswordPair):
    username = forms.CharField(label=_("Username"), max_length=150,
                               widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}))
    field_order = ["username", "first_name", "last_name", "email", "role", "team", "password", "password_again"]

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("password_again", None)
        return data


class UserEditForm(_UserFields):
    is_active = forms.BooleanField(label=_("Active (may sign in)"), required=False)

    def __init__(self, *args, user: User, **kwargs):
        if not args and "initial" not in kwargs:
            kwargs["initial"] = {"first_name": user.first_name, "last_name": user.last_name, "email": user.email,
                                 "role": user.role, "team": user.team_id, "is_active": user.is_active}
        super().__init__(*args, **kwargs)


class PasswordResetForm(_PasswordPair):
    def service_kwargs(self) -> dict:
        return {"password": self.cleaned_data["password"]}


class DeactivateForm(forms.Form):
    """Who takes over the work of a user being deactivated."""

    deals_to = UserChoiceField(label=_("Open deals and tasks go to"), queryset=User.objects.none(), empty_label="—",
                               error_messages={"required": _("Choose who takes the work over.")})
    clients_to = UserChoiceField(label=_("Clients go to (empty: the same person)"), required=False,
                                 queryset=User.objects.none(), empty_label="—")

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deals_to"].queryset = users
        self.fields["clients_to"].queryset = users


class PipelineAccessForm(forms.Form):
    pipelines = forms.ModelMultipleChoiceField(
        label=_("Pipelines he may work in"), required=False, queryset=None, widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every pipeline. Boards, lists, search, reports and the API follow this."))

    def __init__(self, *args, pipelines, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pipelines"].queryset = pipelines


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Team name"), max_length=120)
    lead = UserChoiceField(label=_("Team lead"), required=False, queryset=User.objects.none(), empty_label="—")

    def __init__(self, *args, users, team: Team | None = None, **kwargs):
        if team is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = {"name": team.name, "lead": team.lead_id}
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = users


class SignInForm(AuthenticationForm):
    """Username and password, and the authenticator code when the user has two-factor sign-in on."""

    otp_token = forms.CharField(label=_("Code from the authenticator app"), required=False, max_length=12,
                                widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
                                help_text=_("Only if two-factor sign-in is on for you."))

    def clean(self):
        from voronka.accounts.two_factor import has_two_factor, verify_sign_in

        data = super().clean()
        user = self.get_user()
        self.otp_device = None
        if user is not None and has_two_factor(user):
            self.otp_device = verify_sign_in(user, data.get("otp_token"))
            if self.otp_device is None:
                self.add_error("otp_token", _("Enter the current code from your authenticator app."))
        return data
