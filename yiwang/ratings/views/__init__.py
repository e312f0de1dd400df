"""好差评 pages: the citizen's rating and re-rating (citizen), the departments' bad-review
worklist and loop with the supervising office's appeal decisions (department), and the public
indicators with rankings and charts (public)."""
