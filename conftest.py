pytest_plugins = ["tipline.testing.fixtures"]


def pytest_collection_modifyitems(items):
    """The long tests first (system tests run the command line and servers, browser tests a
    Chromium): with the test processes stealing work from each other (--dist worksteal), the
    short ones then fill the gaps instead of one long test finishing alone at the end."""
    def length(item) -> int:
        return 0 if item.get_closest_marker("system") else 1 if item.get_closest_marker("browser") else 2

    items.sort(key=length)
