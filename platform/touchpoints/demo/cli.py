import click
from flask.cli import AppGroup

demo_cli = AppGroup("demo", help="Демонстрационные данные.")


@demo_cli.command("load")
def load_command() -> None:
    """Загрузить демонстрационные учётные записи и данные (повторный запуск ничего не дублирует)."""
    from touchpoints.demo.data import load_demo

    summary = load_demo()
    for line in summary:
        click.echo(line)
