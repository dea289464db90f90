from nest.core import Injectable


@Injectable
class AppService:
    def __init__(self) -> None:
        self.app_name = "Books"
        self.app_version = "1.0.0"

    def get_app_info(self) -> dict[str, str]:
        return {"app_name": self.app_name, "app_version": self.app_version}
