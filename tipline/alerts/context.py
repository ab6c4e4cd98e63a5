"""The admins' banners on staff pages: channels whose deadline alerts would reach nobody,
and no worker running to deliver anything. Handed to templates as callables, so the
queries run only where a page shows them."""


def unreached_channels(request) -> dict:
    def names() -> list[str]:
        from tipline.alerts.health import channels_without_working_route

        return [channel.name for channel in channels_without_working_route()]

    def worker_silence():
        from tipline.alerts.heartbeat import silence

        return silence()

    return {"unreached_channels": names, "worker_silence": worker_silence}
