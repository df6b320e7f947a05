"""The web shop customers use: pages over the same database and shop rules as the console."""
