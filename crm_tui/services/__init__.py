"""Domain services: plain functions over a Session and the acting staff member.

They enforce permissions and return plain data, never live ORM objects. No textual here.
"""
