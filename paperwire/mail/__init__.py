"""Outgoing e-mail: building standard messages (``message``) and sending them (``sender``)."""
