"""CareLoop: patient follow-up and health management."""
