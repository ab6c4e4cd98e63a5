"""Public tipster pages: server-rendered, complete without JavaScript."""
