from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator

from integrations import access_levels, credential_checks, jsonsafe
from integrations.explorer import example_body, fill
from integrations.oauth_flow import oauth_words
from integrations.providers.base import Provider
from integrations.providers.operations import Operation
from integrations.providers.registry import provider_choices

SECRET_KEPT_HELP = "Saved. Leave empty to keep the saved value, or type a new one to replace it."
SECRET_SANDBOX_HELP = "The sandbox's value is used (it stays hidden). Type one to override it."
MASK = "•••••••• saved"
URL_ERROR = "Enter the full address, starting with https:// (for example https://shop.example.com)."
SPACES_ERROR = (
    "This contains spaces or a line break, which keys never do: copy it again in one piece."
)
EMAIL_ERROR = "Enter the e-mail address you sign in to the store's admin with."
MAX_BODY_BYTES = 64 * 1024  # an explorer request body: far more than any one record needs


class ProviderChoiceForm(forms.Form):
    provider = forms.ChoiceField(choices=provider_choices, widget=forms.RadioSelect)


def _access_field(provider: Provider, initial: str = access_levels.READ_WRITE):
    choices = [(level.value, level.label) for level in access_levels.levels(provider)]
    return forms.ChoiceField(
        label="Access", choices=choices, initial=initial, widget=forms.RadioSelect
    )


def _check_value(key: str, value: str, *, free_text: bool = False) -> None:
    """Inline checks that catch the usual copy-and-paste mistakes before any request. A
    free-text value (a name such as Cin7's "30 days" payment term) may hold spaces."""
    if not value:
        return
    if key.endswith("_url"):
        try:
            URLValidator(schemes=["http", "https"])(value)
        except ValidationError:
            raise ValidationError(URL_ERROR) from None
    elif key == "email":
        try:
            EmailValidator()(value)
        except ValidationError:
            raise ValidationError(EMAIL_ERROR) from None
    elif not free_text and any(ch.isspace() for ch in value):
        raise ValidationError(SPACES_ERROR)


class ConnectionForm(forms.Form):
    """Name, the provider's settings and its credentials. Secret fields are write-only: they
    are never filled in when the form is shown again, only marked as saved.

    `sandbox` holds (credentials, settings) of the running sandbox: settings are shown
    pre-filled, secrets stay hidden and are used when left empty. An OAuth connection's tokens
    come from the provider, so its form has only the name.
    """

    name = forms.CharField(max_length=100)

    def __init__(
        self,
        *args,
        provider: Provider,
        connection=None,
        sandbox: tuple[dict, dict] | None = None,
        oauth: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.provider = provider
        self.sandbox_credentials, self.sandbox_settings = sandbox or ({}, {})
        self.oauth = oauth
        editing = connection is not None and connection.has_credentials
        saved = connection.get_credentials() if editing else {}
        if connection is not None:
            self.fields["name"].initial = connection.name
        elif sandbox:
            self.fields["name"].initial = f"{provider.name} sandbox"
        # Follow-up field name -> (the choice field's name, the answer that needs it).
        self.follow_ups: dict[str, tuple[str, str]] = {}
        if oauth:
            return
        for spec in provider.setting_fields:
            initial = connection.settings.get(spec.key) if connection else None
            initial = initial or self.sandbox_settings.get(spec.key)
            name = f"setting_{spec.key}"
            choice = credential_checks.choices_for(provider.key, spec.key)
            if choice is None:
                self.fields[name] = forms.CharField(
                    label=spec.label,
                    help_text=spec.help_text,
                    required=spec.required,
                    initial=initial,
                )
                continue
            options, default = choice
            self.fields[name] = forms.ChoiceField(
                label=spec.label,
                help_text=spec.help_text,
                choices=[(option.value, option.label) for option in options],
                initial=initial if initial in {o.value for o in options} else default,
                required=False,
                widget=forms.RadioSelect,
            )
            for option in options:
                for key in option.follow_ups:
                    self.follow_ups[f"setting_{key}"] = (name, option.value)
        for spec in provider.credential_fields:
            kept = spec.key in saved
            from_sandbox = spec.key in self.sandbox_credentials
            if spec.secret:
                help_text = spec.help_text
                if kept:
                    help_text = SECRET_KEPT_HELP
                elif from_sandbox:
                    help_text = SECRET_SANDBOX_HELP
                attrs = {"autocomplete": "off"}
                if kept or from_sandbox:
                    attrs["placeholder"] = MASK if kept else "•••••••• sandbox value"
                field = forms.CharField(
                    label=spec.label,
                    help_text=help_text,
                    required=spec.required and not kept and not from_sandbox,
                    widget=forms.PasswordInput(render_value=False, attrs=attrs),
                    strip=True,
                )
            else:
                field = forms.CharField(
                    label=spec.label,
                    help_text=spec.help_text,
                    required=spec.required and not kept,
                    initial=saved.get(spec.key) or self.sandbox_credentials.get(spec.key),
                )
            self.fields[f"credential_{spec.key}"] = field

    def clean(self):
        cleaned = super().clean()
        free_text = {
            spec.key
            for spec in (*self.provider.setting_fields, *self.provider.credential_fields)
            if spec.free_text
        }
        for name, value in list(cleaned.items()):
            key = name.removeprefix("setting_").removeprefix("credential_")
            if name.startswith(("setting_", "credential_")):
                try:  # the provider's own words first, then the generic checks
                    credential_checks.check(self.provider.key, key, value)
                    _check_value(key, value, free_text=key in free_text)
                except ValidationError as error:
                    self.add_error(name, error)
        # A follow-up belongs to one answer: with another chosen it is left out.
        for name, (choice_name, value) in self.follow_ups.items():
            if cleaned.get(choice_name) != value:
                cleaned[name] = ""
                self.errors.pop(name, None)
        return cleaned

    def layout(self) -> list[dict]:
        """The fields in order for the template; a choice carries its answers, each with the
        follow-up fields it needs (shown under it, and only while it is chosen: wizard.css).
        Choices come last, next to the secret they are about (Cin7's webhook secret)."""
        rows, choices = [], []
        for bound in self:
            if bound.name in self.follow_ups:
                continue
            if bound.name not in {choice for choice, _ in self.follow_ups.values()}:
                rows.append({"field": bound})
                continue
            options = []
            for radio in bound:
                follow_ups = [
                    self[name]
                    for name, (choice, value) in self.follow_ups.items()
                    if choice == bound.name and value == radio.data["value"]
                ]
                options.append({"radio": radio, "follow_ups": follow_ups})
            choices.append({"field": bound, "options": options})
        return rows + choices

    def settings_data(self) -> dict:
        values = {
            spec.key: self.cleaned_data.get(f"setting_{spec.key}")
            for spec in self.provider.setting_fields
        }
        # Settings the sandbox needs that the form does not ask for (its base URL).
        return {**self.sandbox_settings, **{k: v for k, v in values.items() if v}}

    def credentials_data(self) -> dict:
        values = {
            spec.key: self.cleaned_data.get(f"credential_{spec.key}")
            for spec in self.provider.credential_fields
        }
        return {**self.sandbox_credentials, **{k: v for k, v in values.items() if v}}


class OAuthAppForm(forms.Form):
    """Name, the OAuth app's ID and secret, and the access to ask for."""

    name = forms.CharField(max_length=100)
    # The ID goes into the consent URL we redirect to: unbounded, it could make that URL longer
    # than Django will redirect to (DisallowedRedirect, a bare 400). Real IDs are short.
    client_id = forms.CharField(
        label="Client ID", help_text="Marketplace → My Apps → Auth.", max_length=255
    )
    client_secret = forms.CharField(
        label="Client secret",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, provider: Provider, sandbox: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.provider = provider
        self.sandbox = sandbox or {}
        self.fields["access"] = _access_field(provider)
        self.fields["client_id"].help_text = oauth_words(provider)["client_id_help"]
        if self.sandbox:
            self.fields["name"].initial = f"{provider.name} sandbox"
            self.fields["client_id"].initial = self.sandbox.get("client_id")
            secret = self.fields["client_secret"]
            secret.required = False
            secret.help_text = SECRET_SANDBOX_HELP
            secret.widget.attrs["placeholder"] = "•••••••• sandbox value"

    def clean(self):
        cleaned = super().clean()
        for name in ("client_id", "client_secret"):
            try:
                _check_value(name, cleaned.get(name) or "")
            except ValidationError as error:
                self.add_error(name, error)
        return cleaned

    def client_secret_value(self) -> str:
        return self.cleaned_data.get("client_secret") or self.sandbox.get("client_secret", "")


class AccessForm(forms.Form):
    def __init__(self, *args, provider: Provider, initial_access: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["access"] = _access_field(provider, initial_access)


class ExplorerForm(forms.Form):
    """The parameters and body of one operation, named as the provider's docs name them."""

    def __init__(self, *args, operation: Operation, connection, **kwargs):
        super().__init__(*args, **kwargs)
        self.operation = operation
        for param in operation.path_params:
            self.fields[f"path_{param.name}"] = forms.CharField(
                label=f"{{{param.name}}}",
                required=True,
                help_text=param.help_text,
                initial=fill(param.default, connection),
            )
        for param in operation.query_params:
            self.fields[f"query_{param.name}"] = forms.CharField(
                label=f"?{param.name}",
                required=param.required,
                help_text=param.help_text,
                initial=fill(param.default, connection),
            )
        if operation.body is not None:
            self.fields["body"] = forms.CharField(
                label="JSON body",
                widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false", "class": "code"}),
                initial=example_body(operation, connection),
            )

    def clean_body(self):
        text = self.cleaned_data["body"]
        try:
            return jsonsafe.loads(text, max_bytes=MAX_BODY_BYTES)
        except jsonsafe.JSONRejected as error:
            reason = str(error).removeprefix("not valid JSON: ")
            raise ValidationError(f"This is not valid JSON: {reason}.") from None

    def path_values(self) -> dict:
        return {p.name: self.cleaned_data[f"path_{p.name}"] for p in self.operation.path_params}

    def query_values(self) -> dict:
        return {p.name: self.cleaned_data[f"query_{p.name}"] for p in self.operation.query_params}
