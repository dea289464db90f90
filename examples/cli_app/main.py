from cli_app.app_module import cli_app

if __name__ == "__main__":
    cli_app()
