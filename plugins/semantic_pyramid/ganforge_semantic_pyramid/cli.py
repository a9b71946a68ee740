import click


def add_commands(group: click.Group) -> None:
    pass
