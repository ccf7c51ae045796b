"""makemessages without msgmerge's fuzzy guesses: a guessed translation of a similar message
is wrong more often than right in Chinese, and a missing one is caught by scripts/i18n.py."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
