pytest_plugins = ["tipline.testing.fixtures"]
