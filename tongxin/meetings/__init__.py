"""Joint meetings: recurrence, agenda collection, invitations and RSVP, attendance, minutes, action items."""
