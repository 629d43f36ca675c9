from django.apps import AppConfig


class DiagnosticsConfig(AppConfig):
    name = "diagnostics"

    def ready(self) -> None:
        # The one observer hook of the transport (integrations.calls): every API call attempt
        # becomes an ApiCall row, unless recording is turned off.
        from diagnostics import recorder
        from integrations.calls import call_observer_add

        if recorder.recording_on():
            call_observer_add(recorder.api_call_record)
