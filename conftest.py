pytest_plugins = ["tipline.testing.fixtures"]


def pytest_collection_modifyitems(items):
    """The long tests first (system tests run the command line and servers, browser tests a
    Chromium, then the others marked slow): with the test processes stealing work from each other
    (--dist worksteal), the short ones then fill the gaps instead of one long test finishing alone
    at the end."""

    def length(item) -> int:
        for rank, marker in enumerate(("system", "browser", "slow")):
            if item.get_closest_marker(marker):
                return rank
        return 3

    items.sort(key=length)
