import click
from nest.core import Injectable


@Injectable
class AppService:
    def version(self) -> None:
        print(click.style("1.0.0", fg="blue"))

    def info(self) -> None:
        print(click.style("This is a cli nest app!", fg="green"))
