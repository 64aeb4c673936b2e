"""The role and decision names, apart from screening.workflow so that naming them (e.g. in the CLI's option
help) does not import the database layer (SQLAlchemy: 0.2-0.4 s of every `screen` start)."""

ROLES = ("screener", "analyst", "admin")  # each may do what the ones before it may
DECISIONS = ("false_positive", "true_match", "escalated")
