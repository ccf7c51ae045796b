"""The learned routing model: suggests category and unit of a request from the alliance's own history."""
