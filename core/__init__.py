"""The domain: events, answers, reminders and cards, with no Telegram in it and no words for people."""
