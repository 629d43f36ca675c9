from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sandboxes.catalogue import build_apps
from sandboxes.kit.server import SandboxOptions, describe_lines, serve


class Command(BaseCommand):
    help = (
        "Serve the local copies of HighLevel and the commerce platforms. Prints one JSON line "
        "per sandbox (base URL and credentials) once it is ready."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument("--seed", type=int, default=0, help="contacts/customers to create")
        parser.add_argument("--random-seed", type=int, default=1, help="seed of generated data")
        parser.add_argument(
            "--state-dir",
            default=None,
            help="keep state in SQLite files in this folder (default: memory, lost on exit)",
        )
        parser.add_argument(
            "--webhook-base",
            default=None,
            help="send webhooks to BASE/webhooks/<provider>/ (e.g. http://127.0.0.1:8000)",
        )
        parser.add_argument(
            "--no-test-mode",
            action="store_true",
            help="refuse the /_control fault-injection endpoints",
        )

    def handle(self, *args, **options):
        if not settings.SANDBOX_ENABLED and not settings.DEBUG:
            raise CommandError("The sandboxes are off: set SANDBOX_ENABLED=true to serve them.")
        if options["seed"] < 0:
            raise CommandError("--seed must be 0 or more.")
        base = options["webhook_base"]
        if base and not base.startswith(("http://", "https://")):
            raise CommandError("--webhook-base must be an http(s) URL, e.g. http://127.0.0.1:8000")
        sandbox_options = SandboxOptions(
            state_dir=Path(options["state_dir"]) if options["state_dir"] else None,
            seed=options["seed"],
            random_seed=options["random_seed"],
            test_mode=not options["no_test_mode"],
            webhook_base=options["webhook_base"],
        )
        try:
            httpd, app, base_url = serve(
                options["host"], options["port"], build_apps(sandbox_options)
            )
        except OSError as exc:
            raise CommandError(
                f"Cannot listen on {options['host']}:{options['port']}: {exc}"
            ) from exc
        self.stderr.write(f"Sandboxes listening on {base_url} (health: {base_url}/health)")
        for line in describe_lines(app):
            self.stdout.write(line)
        self.stdout.flush()
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            httpd.server_close()
            app.close()
