from django import forms

from integrations.providers import ProviderInfo, provider_choices

SECRET_KEPT_HELP = "Saved. Leave empty to keep the saved value, or type a new one to replace it."


class ProviderChoiceForm(forms.Form):
    provider = forms.ChoiceField(choices=provider_choices, widget=forms.RadioSelect)


class ConnectionForm(forms.Form):
    """Name, the provider's settings and its credentials. Secret fields are write-only: they
    are never filled in when the form is shown again."""

    name = forms.CharField(max_length=100)

    def __init__(self, *args, provider: ProviderInfo, connection=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.provider = provider
        editing = connection is not None and connection.has_credentials
        saved_keys = set(connection.get_credentials()) if editing else set()
        if connection is not None:
            self.fields["name"].initial = connection.name
        for spec in provider.setting_fields:
            self.fields[f"setting_{spec.key}"] = forms.CharField(
                label=spec.label,
                help_text=spec.help_text,
                required=spec.required,
                initial=(connection.settings.get(spec.key) if connection else None),
            )
        for spec in provider.credential_fields:
            kept = spec.key in saved_keys
            if spec.secret:
                field = forms.CharField(
                    label=spec.label,
                    help_text=SECRET_KEPT_HELP if kept else spec.help_text,
                    required=spec.required and not kept,
                    widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
                    strip=True,
                )
            else:
                field = forms.CharField(
                    label=spec.label,
                    help_text=spec.help_text,
                    required=spec.required and not kept,
                    initial=connection.get_credentials().get(spec.key) if kept else None,
                )
            self.fields[f"credential_{spec.key}"] = field

    def settings_data(self) -> dict:
        return {
            spec.key: self.cleaned_data[f"setting_{spec.key}"]
            for spec in self.provider.setting_fields
        }

    def credentials_data(self) -> dict:
        return {
            spec.key: self.cleaned_data[f"credential_{spec.key}"]
            for spec in self.provider.credential_fields
        }
