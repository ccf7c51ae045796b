"""Three lists (resources, needs, projects), campaigns, supply-demand matching and pairing sessions."""
