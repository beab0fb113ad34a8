"""Watches: a channel hears about jobs that start matching its filters, without asking.

``model`` holds a watch and the pure decisions about one poll's finds (new alert, thread
reply, storm); ``store`` keeps watches and which jobs each has already alerted (DynamoDB or
SQLite, conditional writes so overlapping polls alert a job once); ``poll`` runs one poll.
"""
