"""The digest: :mod:`bot.digest.scan` counts a window (pure over the pages it is handed),
:mod:`bot.digest.delivery` posts it once per channel and window."""
