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


@demo_cli.command("seed")
@click.option(
    "--region", "region_slug", required=True, help="Код региона (создаётся, если его нет)."
)
@click.option("--agencies", type=click.IntRange(1, 2000), default=20, show_default=True)
@click.option("--rows", type=click.IntRange(1, 5000), default=100, show_default=True)
def seed_command(region_slug: str, agencies: int, rows: int) -> None:
    """Заполнить регион демонстрационными органами власти с перечнями разной готовности."""
    import time

    from touchpoints.demo.seed import seed_region

    started = time.perf_counter()
    report = seed_region(region_slug, agencies, rows)
    if report.created_region:
        click.echo(f"Создан регион «{report.region}» (часовой пояс Europe/Moscow).")
    click.echo(
        f"Добавлено органов власти: {report.agencies}, строк: {report.entries}, "
        f"утверждённых редакций: {report.versions}; уже были: {report.skipped}. "
        f"{time.perf_counter() - started:.1f} с."
    )
