import uvicorn

if __name__ == "__main__":
    uvicorn.run("orm_sync_app.app_module:http_server", host="127.0.0.1", port=8000, reload=True)
