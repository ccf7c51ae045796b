"""Agreements and their obligations (责任清单), fulfilment records, and adopted road segments (门前三包)."""
