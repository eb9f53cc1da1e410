"""`flask lists …`: operators' commands for onboarding and checking many agencies.

Feature modules add their commands to this group (import, export, check)."""

from flask.cli import AppGroup

lists_cli = AppGroup("lists", help="Перечни: импорт, выгрузка, проверка.")
