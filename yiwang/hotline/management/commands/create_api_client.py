"""``manage.py create_api_client NAME [--channel api|web|app|sms|email|phone]``: register a
machine client of the Open311 facade and print its ``api_key`` once (only a hash is kept)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from yiwang.core.errors import DomainError
from yiwang.hotline.models import Channel
from yiwang.hotline.open311.clients import create_api_client


class Command(BaseCommand):
    help = "Register an Open311 API client and print its api_key (shown this once only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the client's name, e.g. 12345小程序")
        parser.add_argument(
            "--channel",
            default=Channel.API,
            choices=Channel.values,
            help="the channel its tickets come from (default: api)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            client, key = create_api_client(options["name"], options["channel"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            _("已创建接口接入方“%(name)s”（%(prefix)s…，渠道：%(channel)s）。")
            % {
                "name": client.name,
                "prefix": client.key_prefix,
                "channel": client.get_channel_display(),
            }
        )
        self.stdout.write(_("api_key（只显示这一次，请妥善保存）："))
        self.stdout.write(key)
