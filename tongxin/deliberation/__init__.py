"""Deliberation topics: discussion, escalation through councils, opinions, votes, consultations, resolutions."""
