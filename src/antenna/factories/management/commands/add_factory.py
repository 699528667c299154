"""antenna add_factory NAME --connector local|slurmrest [...]: register or update a factory."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from antenna.core.errors import AntennaError
from antenna.factories.services import factory_record_probe, factory_register


class Command(BaseCommand):
    help = (
        "Register (or update) a factory and how Antenna reaches its scheduler. Secrets are "
        "never stored: the slurmrest token is read at run time from --token-file or the "
        "environment variable named by --token-env."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="Short name (slug), e.g. jupiter.")
        parser.add_argument("--connector", required=True,
                            help="Required, no default: local (simulated: runs jobs on this "
                                 "machine, in a bubblewrap sandbox) or slurmrest (a real "
                                 "Slurm cluster).")
        parser.add_argument("--display-name", default="", help="Name shown to users.")
        parser.add_argument("--country", default="BE", help="ISO country code (default BE).")
        parser.add_argument("--kind", default="ai_factory", choices=["ai_factory", "sandbox"])
        parser.add_argument("--url", default="",
                            help="slurmrest: base URL of slurmrestd, e.g. http://host:6820.")
        parser.add_argument("--user", default="",
                            help="slurmrest: the service account jobs run as "
                                 "(X-SLURM-USER-NAME).")
        parser.add_argument("--token-file", default="",
                            help="slurmrest: file holding the JWT (re-read on every call, so "
                                 "rotating the token means rewriting the file).")
        parser.add_argument("--token-env", default="",
                            help="slurmrest: environment variable holding the JWT instead.")
        parser.add_argument("--api-version", default="auto",
                            choices=["auto", "v0.0.38", "v0.0.40", "v0.0.41", "v0.0.42"],
                            help="slurmrest: slurmrestd OpenAPI version (default auto: the "
                                 "newest the server offers and Antenna speaks).")
        parser.add_argument("--workdir", default="",
                            help="slurmrest: directory on the cluster for job working "
                                 "directories and output.")
        parser.add_argument("--gpu-slots", type=int, default=None,
                            help="local: GPUs the simulated factory runs at once.")
        parser.add_argument("--network", action="store_true",
                            help="local: let jobs use the network (default: no network in "
                                 "the sandbox).")
        parser.add_argument("--partition", default="", help="Partition name to create/update.")
        parser.add_argument("--gpu-model", default="", help="Partition GPU model, e.g. gh200.")
        parser.add_argument("--gpus-per-node", type=int, default=4)
        parser.add_argument("--nodes", type=int, default=1, help="Nodes in the partition.")
        parser.add_argument("--max-nodes-per-job", type=int, default=1)
        parser.add_argument("--max-walltime", type=int, default=1440,
                            help="Partition walltime limit in minutes.")
        parser.add_argument("--gpu-hour-factor", default=None,
                            help="Antenna GPU-hours per scheduler GPU-hour (LUMI GCDs: 0.5).")
        parser.add_argument("--units-per-gpu-hour", default=None,
                            help="The factory's accounting units per antenna GPU-hour.")
        parser.add_argument("--accounting-unit", default=None,
                            help="Name of the factory's unit, e.g. core-hours.")
        parser.add_argument("--identity", default=None, choices=["community", "per_user"],
                            help="Whose account jobs run under: community (default for a new "
                                 "factory: the service account --user) or per_user (each "
                                 "person's verified site account; --user must be SlurmUser or "
                                 "root). See docs/identity.md.")

    def handle(self, *args: Any, **o: Any) -> None:
        settings: dict[str, object] = {}
        if o["connector"] == "slurmrest":
            if not o["url"] or not o["user"] or not (o["token_file"] or o["token_env"]):
                raise CommandError("slurmrest needs --url, --user and --token-file or "
                                   "--token-env.")
            settings = {"url": o["url"].rstrip("/"), "user": o["user"],
                        "api_version": o["api_version"]}
            if o["token_file"]:
                settings["token_file"] = o["token_file"]
            if o["token_env"]:
                settings["token_env"] = o["token_env"]
            if o["workdir"]:
                settings["workdir"] = o["workdir"]
        if o["gpu_slots"] is not None:
            settings["gpu_slots"] = o["gpu_slots"]
        if o["network"]:
            settings["network"] = True
        partition = None
        if o["partition"]:
            partition = {"name": o["partition"], "gpu_model": o["gpu_model"] or "gpu",
                         "gpus_per_node": o["gpus_per_node"], "total_nodes": o["nodes"],
                         "max_nodes_per_job": o["max_nodes_per_job"],
                         "max_walltime_minutes": o["max_walltime"], "is_default": True}
        try:
            factory = factory_register(
                name=o["name"], connector=o["connector"], display_name=o["display_name"],
                country=o["country"], kind=o["kind"], connector_settings=settings,
                partition=partition, gpu_hour_factor=o["gpu_hour_factor"],
                units_per_gpu_hour=o["units_per_gpu_hour"],
                accounting_unit=o["accounting_unit"], identity_mode=o["identity"],
            )
        except AntennaError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Factory {factory.name} ({factory.connector}) registered, id "
                          f"{factory.pk}.")
        if factory.connector != "slurmrest":
            return
        # Ask the factory once now, so the operator sees at once what it runs and which API
        # version `auto` chose (the worker keeps this current). Not answering is no error.
        from antenna.connectors.registry import connector_for

        health = connector_for(factory).health()
        if health.ok:
            factory_record_probe(factory=factory, release=health.release,
                                 api_version=health.api_version)
            self.stdout.write(f"It answers: {health.release or 'release unknown'}, REST API "
                              f"{health.api_version or 'unknown'}.")
        else:
            self.stdout.write(f"It does not answer yet ({health.detail}); the worker will "
                              f"keep trying.")
