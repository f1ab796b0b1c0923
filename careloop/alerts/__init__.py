"""The alert inbox (预警): one place for everything the product raises that a clinician must see now."""
