"""The app_options forms docs/deployed-apps.md shows, run."""

from orm_sync_app.app_module import AppModule, app

from nest_testing import Test


def test_app_options_forms() -> None:
    builder = Test.create_testing_module(imports=[AppModule])
    builder.app_options(title="Items", version="2.0", debug=True)
    with builder.compile() as module:
        assert module.http_server.openapi()["info"] == {"title": "Items", "version": "2.0"}
        assert module.http_server.debug is True
    from_app = Test.from_app(app).app_options(docs_url=None)  # wins over from_app's
    with from_app.compile() as module:
        assert module.http_server.docs_url is None
        assert module.http_server.title == app.get_server().title  # the rest carried over
