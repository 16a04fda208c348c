"""The Telegram bot: handlers that read an update, call one service, and answer in words."""
