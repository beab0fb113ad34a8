"""The Slack side: Bolt listeners by capability, and the one way answers reach Slack.

``bot.slack.app.create_app`` builds the Bolt app; the listeners live in ``access``,
``commands``, ``pages`` and ``digest``; ``answers`` says what each request is answered with
and ``delivery`` how it gets there. Nothing here knows about Lambda.
"""
