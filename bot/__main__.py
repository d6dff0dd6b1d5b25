"""``python -m bot``: the same as ``fitmygpu-bot``."""

from bot.main import main

main()
