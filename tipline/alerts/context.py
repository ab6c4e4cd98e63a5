"""The admins' banner on staff pages: channels whose deadline alerts would reach nobody.
Handed to templates as a callable, so the queries run only where a page shows it."""


def unreached_channels(request) -> dict:
    def names() -> list[str]:
        from tipline.alerts.health import channels_without_working_route

        return [channel.name for channel in channels_without_working_route()]

    return {"unreached_channels": names}
