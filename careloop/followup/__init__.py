"""Follow-up: protocols, enrolments, the tasks they make, and the pure arithmetic of their schedules."""
