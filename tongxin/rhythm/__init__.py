"""The alliance's rhythm: one monthly prompt per member unit, the quarterly review page and PDF."""
